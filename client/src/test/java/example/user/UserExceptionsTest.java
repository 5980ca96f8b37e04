package example.user;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pyfleet.client.Fleet;
import io.pyfleet.client.PyFleetException;
import io.pyfleet.client.PythonException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A program's own subclasses of pyfleet's exceptions (thrown by a Fleet it wraps or implements, say) keep
 * their type through a synchronous call: the program catches them by it. Outside pyfleet's packages on
 * purpose: pyfleet's own subclasses are rethrown as their public type.
 */
class UserExceptionsTest {
    /** A program's own failure. */
    static final class QuotaExceeded extends PyFleetException {
        private static final long serialVersionUID = 1L;

        QuotaExceeded(String message) {
            super(message);
        }
    }

    /** A program's own refinement of a Python failure. */
    static final class ModelFailed extends PythonException {
        private static final long serialVersionUID = 1L;

        ModelFailed() {
            super("builtins.ValueError", "bad input", "Traceback ...");
        }
    }

    @Test
    void aProgramsOwnSubclassIsRethrownAsItsOwnType() {
        QuotaExceeded quota = new QuotaExceeded("over quota");
        assertSame(quota, assertThrows(QuotaExceeded.class, () -> Fleet.join(CompletableFuture.failedFuture(quota))));
        ModelFailed model = new ModelFailed();
        assertSame(model, assertThrows(ModelFailed.class, () -> Fleet.join(CompletableFuture.failedFuture(model))));
    }
}

package io.pyfleet.client;

/**
 * A Python result that does not fit the Java type a bound interface declares for it
 * ({@code Fleet.bind}): names the interface method, the declared type and what Python returned.
 * The call itself ran; only its result could not be converted.
 */
public class ResultTypeException extends PyFleetException {
    private static final long serialVersionUID = 1L;

    /** The interface method. */
    private final String method;
    /** The declared Java type. */
    private final String declaredType;
    /** What Python returned. */
    private final String returned;

    /**
     * A result that does not fit.
     *
     * @param method       see {@link #method()}
     * @param declaredType see {@link #declaredType()}
     * @param returned     see {@link #returned()}
     */
    public ResultTypeException(String method, String declaredType, String returned) {
        super(method + " declares " + declaredType + " but Python returned " + returned);
        this.method = method;
        this.declaredType = declaredType;
        this.returned = returned;
    }

    /**
     * The interface method.
     *
     * @return e.g. {@code MyApi.mean(double[])}
     */
    public String method() {
        return method;
    }

    /**
     * The declared Java type.
     *
     * @return e.g. {@code int} or {@code java.util.List<java.lang.String>}
     */
    public String declaredType() {
        return declaredType;
    }

    /**
     * What Python returned.
     *
     * @return its type, a short rendering and why it does not fit
     */
    public String returned() {
        return returned;
    }

    @Override
    PyFleetException copy() {
        return new ResultTypeException(method, declaredType, returned);
    }
}

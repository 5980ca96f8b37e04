package io.pyfleet.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The Python name a method of a bound interface calls, relative to the bound module, when it is not
 * the method's own name: {@code @PyName("linalg.norm") double norm(double[] x)} bound to {@code numpy}
 * calls {@code numpy.linalg.norm}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface PyName {
    /**
     * The Python name, relative to the bound module; dotted names reach into submodules and classes.
     *
     * @return the name, e.g. {@code median_grouped} or {@code linalg.norm}
     */
    String value();
}

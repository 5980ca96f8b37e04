package io.pyfleet.client;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Passes a parameter of a bound method as a Python keyword argument of this name:
 * {@code double[] sum(double[] a, @Kw("axis") Integer axis)}. A {@code null} keyword value is left out
 * of the call, so Python's default applies.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Kw {
    /**
     * The keyword's name.
     *
     * @return a Python identifier
     */
    String value();
}

package io.pyfleet.client;

/**
 * A Python {@code complex} (ext 11). Equality is that of {@link Double#compare}:
 * NaN equals NaN, and 0.0 differs from -0.0.
 *
 * @param real the real part
 * @param imag the imaginary part
 */
public record PyComplex(double real, double imag) {
    @Override
    public String toString() {
        return "(" + real + (imag < 0 || (imag == 0 && 1 / imag < 0) ? "" : "+") + imag + "j)";
    }
}

package io.pyfleet.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Charts drawn by a worker (the Python module {@code pyfleet.plots}): as text for a terminal, through
 * plotext, or as a PNG image, through matplotlib's Agg backend. The worker's interpreter needs those
 * libraries ({@code ./pyfleet} installs them); without them a plot call fails with a
 * {@link PythonException} naming the missing one. A bad size or bad data is a {@link PythonException}
 * ({@code builtins.ValueError}) that says what is wrong.
 *
 * <pre>{@code
 * Plots plots = Plots.on(fleet);
 * System.out.println(plots.terminal(Chart.line(x, y), 80, 24));
 * plots.png(Chart.builder().title("fit").line("model", x, fit).scatter("data", x, y).build(), 800, 600,
 *         Path.of("fit.png"));
 * }</pre>
 */
public final class Plots {
    /** The worker module, bound through {@link Fleet#bind}; a null keyword is left to Python's default. */
    interface PlotModule {
        String terminal(List<Map<String, Object>> series, @Kw("width") int width, @Kw("height") int height,
                @Kw("title") String title, @Kw("xlabel") String xLabel, @Kw("ylabel") String yLabel,
                @Kw("xlim") double[] xRange, @Kw("ylim") double[] yRange, @Kw("ascii") boolean ascii);

        byte[] png(List<Map<String, Object>> series, @Kw("width") int width, @Kw("height") int height,
                @Kw("title") String title, @Kw("xlabel") String xLabel, @Kw("ylabel") String yLabel,
                @Kw("xlim") double[] xRange, @Kw("ylim") double[] yRange);
    }

    /** The Python module that draws. */
    public static final String MODULE = "pyfleet.plots";

    private final PlotModule module;

    private Plots(PlotModule module) {
        this.module = module;
    }

    /**
     * Plots drawn by the workers of {@code fleet}.
     *
     * @param fleet the fleet whose workers draw
     * @return the plots; they hold nothing to close
     */
    public static Plots on(Fleet fleet) {
        return new Plots(fleet.bind(PlotModule.class, MODULE));
    }

    /**
     * The chart as text, in Unicode box-drawing and block characters.
     *
     * @param chart  what to draw
     * @param width  the width in characters
     * @param height the height in lines
     * @return exactly {@code height} lines of {@code width} characters, joined by {@code \n}
     * @throws PythonException when the worker lacks the library, or the size or data is bad
     */
    public String terminal(Chart chart, int width, int height) {
        return terminal(chart, width, height, false);
    }

    /**
     * {@link #terminal(Chart, int, int)}; with {@code ascii} only ASCII characters (for a terminal that cannot
     * show box-drawing and block characters), else Unicode ones.
     *
     * @param chart  what to draw
     * @param width  the width in characters
     * @param height the height in lines
     * @param ascii  true for ASCII characters only
     * @return exactly {@code height} lines of {@code width} characters, joined by {@code \n}
     * @throws PythonException when the worker lacks the library, or the size or data is bad
     */
    public String terminal(Chart chart, int width, int height, boolean ascii) {
        Objects.requireNonNull(chart, "chart");
        return module.terminal(chart.series(), width, height, chart.title(), chart.xLabel(), chart.yLabel(),
                chart.xRange(), chart.yRange(), ascii);
    }

    /**
     * The chart as a PNG image.
     *
     * @param chart  what to draw
     * @param width  the width in pixels
     * @param height the height in pixels
     * @return the image's bytes
     * @throws PythonException when the worker lacks the library, or the size or data is bad
     */
    public byte[] png(Chart chart, int width, int height) {
        Objects.requireNonNull(chart, "chart");
        return module.png(chart.series(), width, height, chart.title(), chart.xLabel(), chart.yLabel(),
                chart.xRange(), chart.yRange());
    }

    /**
     * Writes the chart as a PNG image to a file on this machine, replacing it.
     *
     * @param chart  what to draw
     * @param width  the width in pixels
     * @param height the height in pixels
     * @param file   the file
     * @return the file
     * @throws PythonException when the worker lacks the library, or the size or data is bad
     * @throws UncheckedIOException when the file cannot be written
     */
    public Path png(Chart chart, int width, int height, Path file) {
        Objects.requireNonNull(file, "file");
        byte[] image = png(chart, width, height);
        try {
            return Files.write(file, image);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the chart to " + file + ": " + e.getMessage(), e);
        }
    }
}

package io.pyfleet.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A line and scatter chart drawn in plain ASCII characters for a terminal: a plot area of a fixed number
 * of columns and rows, a y axis with three labelled ticks, an x axis with labels at both ends and the
 * middle, axis titles and a legend. A line series is drawn with {@code -}, {@code /}, {@code \} and
 * {@code |} after its slope, with {@code *} on its points when they are sparser than the columns; a
 * scatter series puts an {@code o} on each point, over any line. Non-finite points are skipped.
 *
 * <pre>{@code
 * String text = new TerminalChart(60, 15).title("y = x^2").xLabel("x").yLabel("y")
 *         .line("x^2", xs, ys).render();
 * }</pre>
 */
public final class TerminalChart {
    /** The mark of a scatter series. */
    public static final char SCATTER_MARK = 'o';
    /** The mark on the points of a sparse line series. */
    public static final char POINT_MARK = '*';

    private final int width;
    private final int height;
    private final List<Series> series = new ArrayList<>();
    private String title = "";
    private String xLabel = "";
    private String yLabel = "";
    private double[] yRange;

    private record Series(String name, double[] x, double[] y, boolean line) {
    }

    /**
     * @param width  columns of the plot area, at least 10
     * @param height rows of the plot area, at least 3
     */
    public TerminalChart(int width, int height) {
        if (width < 10 || height < 3) {
            throw new IllegalArgumentException("a chart needs at least 10 columns and 3 rows, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
    }

    public TerminalChart title(String text) {
        this.title = Objects.requireNonNull(text, "title");
        return this;
    }

    public TerminalChart xLabel(String text) {
        this.xLabel = Objects.requireNonNull(text, "xLabel");
        return this;
    }

    public TerminalChart yLabel(String text) {
        this.yLabel = Objects.requireNonNull(text, "yLabel");
        return this;
    }

    /** Fixes the y range instead of fitting it to the data (e.g. to start at zero). */
    public TerminalChart yRange(double min, double max) {
        if (!(min < max) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("y range must be finite with min < max, got " + min + ", " + max);
        }
        this.yRange = new double[] {min, max};
        return this;
    }

    /** Adds a line through the points, taken in order of x. */
    public TerminalChart line(String name, double[] x, double[] y) {
        series.add(new Series(name, check(x, y), y.clone(), true));
        return this;
    }

    /** Adds points marked {@code o}. */
    public TerminalChart scatter(String name, double[] x, double[] y) {
        series.add(new Series(name, check(x, y), y.clone(), false));
        return this;
    }

    private static double[] check(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " values, y has " + y.length);
        }
        return x.clone();
    }

    /** The chart as lines of text, each ending with a newline. */
    public String render() {
        double[] xr = range(true);
        double[] yr = yRange != null ? yRange : rounded(range(false));
        char[][] grid = new char[height][width];
        for (char[] row : grid) {
            Arrays.fill(row, ' ');
        }
        for (Series s : series) {
            if (s.line()) {
                drawLine(grid, s, xr, yr);
            }
        }
        for (Series s : series) {
            if (!s.line()) {
                for (int i = 0; i < s.x().length; i++) {
                    if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                        put(grid, col(s.x()[i], xr), row(s.y()[i], yr), SCATTER_MARK);
                    }
                }
            }
        }

        int midRow = (height - 1) / 2;
        String top = label(yr[1], yr);
        String mid = label(yr[0] + (yr[1] - yr[0]) * midRow / (height - 1), yr);
        String bottom = label(yr[0], yr);
        int margin = Math.max(top.length(), Math.max(mid.length(), bottom.length())) + 1;
        StringBuilder sb = new StringBuilder();
        if (!title.isEmpty()) {
            sb.append(" ".repeat(margin + 1 + Math.max(0, (width - title.length()) / 2))).append(title).append('\n');
        }
        if (!yLabel.isEmpty()) {
            sb.append(yLabel).append('\n');
        }
        for (int r = height - 1; r >= 0; r--) {
            String tick = r == height - 1 ? top : r == 0 ? bottom : r == midRow && height > 4 ? mid : "";
            sb.append(" ".repeat(margin - 1 - tick.length())).append(tick).append(' ');
            sb.append(tick.isEmpty() ? '|' : '+');
            sb.append(new String(grid[r]).stripTrailing()).append('\n');
        }
        sb.append(" ".repeat(margin)).append('+').append("-".repeat(width)).append('\n');

        char[] xTicks = new char[width + 1];
        Arrays.fill(xTicks, ' ');
        String left = label(xr[0], xr);
        String centre = label((xr[0] + xr[1]) / 2, xr);
        String right = label(xr[1], xr);
        int centreAt = (width + 1) / 2 - centre.length() / 2;
        int rightAt = width + 1 - right.length();
        place(xTicks, 1, left);
        if (centreAt > left.length() + 1 && centreAt + centre.length() < rightAt) {
            place(xTicks, centreAt, centre);
        }
        place(xTicks, rightAt, right);
        sb.append(" ".repeat(margin)).append(new String(xTicks).stripTrailing()).append('\n');
        if (!xLabel.isEmpty()) {
            sb.append(" ".repeat(margin + 1 + Math.max(0, (width - xLabel.length()) / 2))).append(xLabel).append('\n');
        }
        StringBuilder legend = new StringBuilder();
        for (Series s : series) {
            if (!s.name().isEmpty()) {
                legend.append(legend.length() == 0 ? "" : "   ").append(s.line() ? "---" : String.valueOf(SCATTER_MARK))
                        .append(' ').append(s.name());
            }
        }
        if (legend.length() > 0) {
            sb.append(" ".repeat(margin + 1)).append(legend).append('\n');
        }
        return sb.toString();
    }

    private static void place(char[] line, int at, String text) {
        int start = Math.max(0, Math.min(at, line.length - text.length()));
        for (int i = 0; i < text.length() && start + i < line.length; i++) {
            line[start + i] = text.charAt(i);
        }
    }

    private void drawLine(char[][] grid, Series s, double[] xr, double[] yr) {
        Integer[] order = new Integer[s.x().length];
        int n = 0;
        for (int i = 0; i < s.x().length; i++) {
            if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                order[n++] = i;
            }
        }
        Integer[] idx = Arrays.copyOf(order, n);
        Arrays.sort(idx, (a, b) -> Double.compare(s.x()[a], s.x()[b]));
        if (n == 0) {
            return;
        }
        // the line's row at each column it spans, from its points by linear interpolation
        int first = col(s.x()[idx[0]], xr);
        int last = col(s.x()[idx[n - 1]], xr);
        int[] rows = new int[width];
        int k = 0;
        for (int c = first; c <= last; c++) {
            double x = xr[0] + (xr[1] - xr[0]) * c / (width - 1);
            while (k < n - 2 && s.x()[idx[k + 1]] < x) {
                k++;
            }
            double y;
            if (n == 1) {
                y = s.y()[idx[0]];
            } else {
                double x0 = s.x()[idx[k]];
                double x1 = s.x()[idx[k + 1]];
                double t = x1 == x0 ? 0 : Math.max(0, Math.min(1, (x - x0) / (x1 - x0)));
                y = s.y()[idx[k]] + t * (s.y()[idx[k + 1]] - s.y()[idx[k]]);
            }
            rows[c] = row(y, yr);
        }
        for (int c = first; c <= last; c++) {
            int before = c > first ? rows[c - 1] : rows[c];
            int after = c < last ? rows[c + 1] : rows[c];
            int slope = after - before;
            char mark = before == rows[c] && after == rows[c] || slope == 0 ? '-' : slope > 0 ? '/' : '\\';
            put(grid, c, rows[c], mark);
            // a steep step: fill the rows between this column and the next with '|'
            if (c < last) {
                int lo = Math.min(rows[c], rows[c + 1]);
                int hi = Math.max(rows[c], rows[c + 1]);
                for (int r = lo + 1; r < hi; r++) {
                    put(grid, rows[c + 1] > rows[c] ? c + 1 : c, r, '|');
                }
            }
        }
        if (n <= width / 2) {
            for (int i = 0; i < n; i++) {
                put(grid, col(s.x()[idx[i]], xr), row(s.y()[idx[i]], yr), POINT_MARK);
            }
        }
    }

    private void put(char[][] grid, int c, int r, char mark) {
        if (c >= 0 && c < width && r >= 0 && r < height) {
            grid[r][c] = mark;
        }
    }

    private int col(double x, double[] xr) {
        return (int) Math.round((x - xr[0]) / (xr[1] - xr[0]) * (width - 1));
    }

    private int row(double y, double[] yr) {
        return (int) Math.round((y - yr[0]) / (yr[1] - yr[0]) * (height - 1));
    }

    /** The finite range of x or y over every series, widened when it is a single value. */
    private double[] range(boolean x) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            double[] v = x ? s.x() : s.y();
            double[] other = x ? s.y() : s.x();
            for (int i = 0; i < v.length; i++) {
                if (Double.isFinite(v[i]) && Double.isFinite(other[i])) {
                    min = Math.min(min, v[i]);
                    max = Math.max(max, v[i]);
                }
            }
        }
        if (min > max) {
            return new double[] {0, 1};
        }
        if (min == max) {
            double pad = min == 0 ? 1 : Math.abs(min) * 0.5;
            return new double[] {min - pad, max + pad};
        }
        return new double[] {min, max};
    }

    /** The range widened to a multiple of a tenth of its order of magnitude at both ends. */
    static double[] rounded(double[] r) {
        double step = Math.pow(10, Math.floor(Math.log10(r[1] - r[0])) - 1);
        double lo = Math.floor(r[0] / step) * step;
        double hi = Math.ceil(r[1] / step) * step;
        return lo < hi ? new double[] {lo, hi} : r;
    }

    /** A tick label with as many decimals as the range calls for (three significant digits of it). */
    static String label(double v, double[] range) {
        double span = range[1] - range[0];
        int decimals = (int) Math.max(0, Math.min(8, 2 - Math.floor(Math.log10(span))));
        double magnitude = Math.max(Math.abs(range[0]), Math.abs(range[1]));
        if (magnitude >= 1e7 || magnitude < 1e-4 && magnitude > 0) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.equals("-" + s.substring(1)) && Double.parseDouble(s) == 0 ? s.substring(1) : s;
    }
}

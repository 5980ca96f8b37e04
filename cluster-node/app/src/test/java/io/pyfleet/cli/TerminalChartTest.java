package io.pyfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TerminalChartTest {

    private static List<String> lines(String chart) {
        return chart.lines().toList();
    }

    @Test
    void scatterPointsLandOnTheirCells() {
        String chart = new TerminalChart(11, 3).scatter("", new double[] {0, 5, 10}, new double[] {0, 1, 2}).render();
        List<String> l = lines(chart);
        // rows: top (y=2), middle (y=1), bottom (y=0), axis, x labels
        assertEquals(5, l.size(), chart);
        assertEquals("2.00 +          o", l.get(0));
        assertEquals("     |     o", l.get(1));
        assertEquals("0.00 +o", l.get(2));
        assertEquals("     +-----------", l.get(3));
        assertEquals("      0.0    10.0", l.get(4), "no room for the middle label");
        String wide = new TerminalChart(21, 3).scatter("", new double[] {0, 10}, new double[] {0, 2}).render();
        assertEquals("      0.0      5.0     10.0", lines(wide).get(4), wide);
    }

    @Test
    void aFlatLineIsDashesAndSparsePointsAreStars() {
        String chart = new TerminalChart(10, 3).yRange(0, 2).line("flat", new double[] {0, 9}, new double[] {1, 1})
                .render();
        List<String> l = lines(chart);
        assertEquals("     |*--------*", l.get(1), chart);
        assertTrue(l.get(l.size() - 1).contains("--- flat"), chart);
    }

    @Test
    void aRisingLineClimbsAndSteepStepsAreFilled() {
        double[] x = new double[50];
        double[] y = new double[50];
        for (int i = 0; i < 50; i++) {
            x[i] = i;
            y[i] = i < 25 ? 0 : 10;
        }
        String chart = new TerminalChart(50, 11).line("", x, y).render();
        assertTrue(chart.contains("|"), chart);
        long bars = chart.chars().filter(c -> c == '|').count();
        assertTrue(bars > 11 + 5, "the step is filled with '|':\n" + chart);
        double[] ramp = new double[50];
        for (int i = 0; i < 50; i++) {
            ramp[i] = i;
        }
        String rising = new TerminalChart(50, 11).line("", x, ramp).render();
        assertTrue(rising.contains("/"), rising);
        assertTrue(!rising.contains("\\"), rising);
    }

    @Test
    void titleLabelsAndLegend() {
        String chart = new TerminalChart(20, 5).title("T").xLabel("time").yLabel("height")
                .line("model", new double[] {0, 1}, new double[] {0, 1})
                .scatter("data", new double[] {0.5}, new double[] {0.5}).render();
        List<String> l = lines(chart);
        assertEquals("T", l.get(0).trim());
        assertEquals("height", l.get(1));
        assertEquals("time", l.get(l.size() - 2).trim());
        assertEquals("--- model   o data", l.get(l.size() - 1).trim());
        assertTrue(chart.contains("o"), chart);
    }

    @Test
    void scatterMarksGoOverLines() {
        String chart = new TerminalChart(10, 3).yRange(0, 2).line("", new double[] {0, 9}, new double[] {1, 1})
                .scatter("", new double[] {4}, new double[] {1}).render();
        assertEquals("     |*---o----*", lines(chart).get(1), chart);
    }

    @Test
    void nonFiniteAndDegenerateData() {
        String chart = new TerminalChart(10, 3)
                .scatter("", new double[] {1, Double.NaN, 1}, new double[] {5, 1, Double.POSITIVE_INFINITY}).render();
        assertEquals(1, chart.chars().filter(c -> c == 'o').count(), chart);
        String empty = new TerminalChart(10, 3).render();
        assertTrue(empty.contains("+----------"), empty);
    }

    @Test
    void fixedSize() {
        String chart = new TerminalChart(40, 12).line("", new double[] {0, 1, 2}, new double[] {3, -1, 2}).render();
        List<String> l = lines(chart);
        assertEquals(12 + 2, l.size(), chart);
        for (String line : l) {
            assertTrue(line.length() <= 6 + 1 + 40, line);
        }
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new TerminalChart(5, 5));
        assertThrows(IllegalArgumentException.class, () -> new TerminalChart(20, 2));
        assertThrows(IllegalArgumentException.class,
                () -> new TerminalChart(20, 5).line("", new double[] {1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new TerminalChart(20, 5).yRange(1, 1));
    }
}

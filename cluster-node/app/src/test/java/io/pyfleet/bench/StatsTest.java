package io.pyfleet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void percentilesByNearestRank() {
        long[] hundred = LongStream.rangeClosed(1, 100).toArray();
        assertEquals(50, Stats.percentile(hundred.clone(), 50));
        assertEquals(99, Stats.percentile(hundred.clone(), 99));
        assertEquals(100, Stats.percentile(hundred.clone(), 100));
        assertEquals(1, Stats.percentile(hundred.clone(), 0.5));
        assertEquals(1, Stats.percentile(hundred.clone(), 1));
        assertEquals(2, Stats.percentile(hundred.clone(), 1.5));
    }

    @Test
    void percentileSortsUnorderedSamples() {
        long[] samples = {9, 1, 8, 2, 7, 3, 6, 4, 5, 10};
        assertEquals(5, Stats.percentile(samples, 50));
        assertEquals(1, samples[0]); // sorted in place
        assertEquals(10, Stats.percentileOfSorted(samples, 99));
        assertEquals(10, Stats.percentileOfSorted(samples, 91));
        assertEquals(9, Stats.percentileOfSorted(samples, 90));
    }

    @Test
    void percentileOfOneSample() {
        assertEquals(42, Stats.percentile(new long[] {42}, 50));
        assertEquals(42, Stats.percentile(new long[] {42}, 99));
    }

    @Test
    void percentileRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[0], 50));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[] {1}, 101));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(new long[] {1}, Double.NaN));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, Stats.median(new double[] {5, 1, 3}));
        assertEquals(2.5, Stats.median(new double[] {4, 1, 3, 2}));
        assertEquals(7.0, Stats.median(new double[] {7}));
        double[] untouched = {3, 1, 2};
        Stats.median(untouched);
        assertEquals(3.0, untouched[0]);
        assertThrows(IllegalArgumentException.class, () -> Stats.median(new double[0]));
    }

    @Test
    void extremes() {
        double[] v = {4.5, -1, 9.25, 0};
        assertEquals(-1, Stats.min(v));
        assertEquals(9.25, Stats.max(v));
        assertThrows(IllegalArgumentException.class, () -> Stats.min(new double[0]));
    }

    @Test
    void unitsOfTimeAndRate() {
        assertEquals(41.2, Stats.micros(41_200), 1e-9);
        assertEquals(100_000.0, Stats.perSecond(200_000, 2_000_000_000L), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> Stats.perSecond(1, 0));
    }
}

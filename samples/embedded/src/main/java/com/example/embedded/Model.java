package com.example.embedded;

import io.pyfleet.client.PyArray;
import java.util.List;

/**
 * The Python module mymodel (src/main/python/mymodel.py) as a Java interface: one method per function, found
 * by the method's name or its snake_case form when the fleet binds it.
 */
public interface Model {
    /** mymodel.score: a weighted sum of the features. */
    double score(List<Double> features);

    /** mymodel.rms: the root mean square of an array. */
    double rms(PyArray signal);

    /** mymodel.python_version: the snake_case form of the method's name. */
    String pythonVersion();
}

package com.example.embedded;

import io.pyfleet.client.PyArray;
import io.pyfleet.client.PyName;
import java.util.List;

/** The Python module mymodel (src/main/python/mymodel.py) as a Java interface: one method per function. */
public interface Model {
    /** mymodel.score: a weighted sum of the features. */
    double score(List<Double> features);

    /** mymodel.rms: the root mean square of an array. */
    double rms(PyArray signal);

    /** mymodel.python_version: a Python name that is not the method's own. */
    @PyName("python_version")
    String pythonVersion();
}

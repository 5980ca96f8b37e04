"""A user module that imports a package the workers' interpreter lacks (test_advice, the Java start tests)."""
import no_such_dependency_xyz  # noqa: F401


def score(x):
    return x

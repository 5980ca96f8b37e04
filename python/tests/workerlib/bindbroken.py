"""A module that does not import: binding it fails with this ImportError's message."""
import no_such_module_pyfleet_bindtest  # noqa: F401

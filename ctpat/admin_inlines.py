"""Admin pieces the partner registry and the seminars share."""


class UntitledRowsMixin:
    """A tabular inline whose columns say everything: no object title printed above each row."""

    classes = ["untitled-rows"]

    class Media:
        css = {"all": ["css/admin-inlines.css"]}

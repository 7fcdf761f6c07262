"""The applications that wire the models: the dub pipeline and its batch runner, and compose (plans, planners, mixing)."""

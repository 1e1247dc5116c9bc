"""Run settings a form reads beside its fitted constants (granularity, precision, ...)."""

import copy


class Configurable:
    """A law whose run settings (class attributes named in ``settings``) can be changed per plan."""

    settings: tuple = ()

    def configured(self, **values):
        """A copy of this law with the given settings; None leaves a setting as it is."""
        unknown = set(values) - set(self.settings)
        if unknown:
            raise ValueError(f"law '{self.name}' has no setting {', '.join(sorted(unknown))}")
        law = copy.copy(self)
        for key, value in values.items():
            if value is not None:
                setattr(law, key, value)
        return law

"""Run settings a form reads beside its fitted constants (granularity, precision, ...)."""

import copy
import math

from scalingplan.errors import InputError


def setting_number(value, name: str, low: float = 0.0, inclusive: bool = False, text: str = "") -> float:
    """``value`` as a float: a real, finite number above ``low`` (or at least ``low`` when
    ``inclusive``); InputError naming the setting otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"expected a number, got {type(value).__name__} {value!r}"[:200], name)
    try:
        number = float(value)
    except OverflowError:
        raise InputError(f"{value:.3g} is too large", name) from None
    if not math.isfinite(number) or number < low or (number == low and not inclusive):
        bound = f"at least {low:g}" if inclusive else ("above 0" if low == 0 else f"above {low:g}")
        raise InputError(f"must be a finite number {bound}{text}, got {value!r}", name)
    return number


class Configurable:
    """A law whose run settings (class attributes named in ``settings``) can be changed per plan.

    Laws are immutable; ``clone`` returns a copy with other settings, each checked by
    ``check_setting`` (InputError for a value the law cannot use)."""

    settings: tuple = ()

    def check_setting(self, name: str, value):
        """The setting's value as the law uses it; InputError for an impossible one (forms override)."""
        return setting_number(value, name)

    def clone(self, **values):
        """A copy of this law with the given settings, each checked; None leaves a setting as it is."""
        unknown = sorted(set(values) - set(self.settings))
        if unknown:
            raise InputError(f"law '{self.name}' has no setting {', '.join(unknown)}; its settings: "
                             f"{', '.join(self.settings) or 'none'}")
        law = copy.copy(self)
        for key, value in values.items():
            if value is not None:
                object.__setattr__(law, key, self.check_setting(key, value))
        return law

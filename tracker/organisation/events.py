"""What organisation tells the areas above it, which it may not import (areas import downward
only): they connect their receivers when the app is set up."""

from blinker import Namespace

_events = Namespace()

#: The administrator changed which departments a department continues (sender: that
#: department). Surveys computes the previous scores of its rounds again.
lineage_changed = _events.signal("lineage-changed")

#: The administrator saved the settings with this anonymity threshold (sender: the
#: threshold). Surveys hides at once what was imported under a lower one.
anonymity_threshold_saved = _events.signal("anonymity-threshold-saved")

"""Calibration by the method of simulated moments: ``ecosim calibrate FILE``.

See ``docs/calibration.md`` for the file format, the objective and the outputs. The main entry
point is :func:`ecosim.calibration.runner.run_calibration`; this package's ``__init__`` imports
only the file's schema, so reading a calibration file does not load Optuna.
"""

from ecosim.calibration.spec import (
    CalibrationFile,
    CalibrationSpec,
    Target,
    TargetSpec,
    load_calibration_file,
    parse_calibration,
)

__all__ = [
    "CalibrationFile",
    "CalibrationSpec",
    "Target",
    "TargetSpec",
    "load_calibration_file",
    "parse_calibration",
]

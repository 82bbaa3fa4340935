"""The browser app of ``ecosim serve``: Mesa's SolaraViz with ecosim's controls and views.

Modules: :mod:`ecosim.viz.app` (the Solara page and its components), :mod:`.controls` (the
inputs and the model class SolaraViz re-creates), :mod:`.charts` (Vega-Lite specs),
:mod:`.layout` (the network layout) and :mod:`.assets` (the browser code Solara serves).
Importing this package does not import Solara; :mod:`ecosim.viz.app` does.
"""

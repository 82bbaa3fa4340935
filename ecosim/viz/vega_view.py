"""A Vega-Lite widget that draws a chart once and then only streams its data.

Solara's own chart widget (``solara.FigureAltair``) sends the whole spec on every change and
the browser re-embeds the chart from scratch each time, 100 ms after the last change. For a
view redrawn every simulated day that is most of the frame, so :class:`VegaView` splits the
chart in two traits: ``spec`` (the structure, sent when it changes, which is rarely) and
``datasets`` (the named data, sent every frame). The browser embeds the spec once and swaps
the datasets of the live Vega view (``view.data(name, values)``), coalesced to one redraw
per animation frame.

It loads Vega, Vega-Lite and Vega-Embed the way Solara's widget does: through RequireJS from
Solara's CDN proxy (see :mod:`ecosim.viz.assets`).
"""

from __future__ import annotations

import ipyvuetify as v
import traitlets
from ipywidgets import widget_serialization

__all__ = ["VegaView"]

_VUE = r"""
<template>
  <div class="ecosim-vega" style="width: 100%"><div ref="plot" style="width: 100%"></div></div>
</template>
<script>
module.exports = {
  created() {
    this.vegaLoaded = this.loadVega();
    this.embedToken = 0;
    this.frame = null;
    this.vegaView = null;
  },
  mounted() { this.embed(); },
  watch: {
    spec() { this.embed(); },
    datasets() { this.scheduleUpdate(); },
  },
  destroyed() { this.teardown(); },
  unmounted() { this.teardown(); },
  methods: {
    plain(x) { return JSON.parse(JSON.stringify(x || {})); },
    teardown() {
      if (this.frame) { cancelAnimationFrame(this.frame); this.frame = null; }
      if (this.vegaView) { this.vegaView.finalize(); this.vegaView = null; }
    },
    async embed() {
      const token = ++this.embedToken;
      // The module comes from loadVega's own require: a second require issued from within
      // its callback chain was never answered by RequireJS.
      const vegaEmbed = await this.vegaLoaded;
      // Nothing to draw before the first spec; a newer spec may have arrived meanwhile.
      if (token !== this.embedToken || !this.spec || !Object.keys(this.spec).length) { return; }
      const spec = { ...this.plain(this.spec), datasets: this.plain(this.datasets) };
      // SVG unless the spec asks otherwise (the network's many marks draw faster on canvas);
      // the actions menu saves the chart as SVG or PNG under the spec's download name.
      const meta = (spec.usermeta && spec.usermeta.embedOptions) || {};
      const options = { renderer: meta.renderer || 'svg',
                        downloadFileName: meta.downloadFileName || 'ecosim-chart',
                        actions: { export: true, source: false, compiled: false, editor: false } };
      const shown = this.datasets;
      const result = await vegaEmbed(this.$refs.plot, spec, options);
      if (token !== this.embedToken) { result.finalize(); return; }
      if (this.vegaView) { this.vegaView.finalize(); }
      this.vegaView = result.view;
      if (shown !== this.datasets) { this.scheduleUpdate(); }  // data that came meanwhile
    },
    scheduleUpdate() {
      if (this.frame) { return; }
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        if (!this.vegaView) { return; }  // the embed picks up the latest data itself
        const data = this.plain(this.datasets);
        for (const name of Object.keys(data)) { this.vegaView.data(name, data[name]); }
        this.vegaView.resize().runAsync();
      });
    },
    async loadVega() {
      await this.loadRequire();
      window.requirejs.config({
        map: { '*': {
          'vega': `${this.getCdn()}/vega@5/build/vega.min.js`,
          'vega-lite': `${this.getCdn()}/vega-lite@5/build/vega-lite.min.js`,
          'vega-embed': `${this.getCdn()}/vega-embed@6/build/vega-embed.min.js`,
        } }
      });
      return await new Promise((resolve, reject) => {
        window.requirejs(['vega', 'vega-lite', 'vega-embed'], (vg, vl, embed) => resolve(embed),
                         reject);
      });
    },
    loadRequire() {
      if (window.requirejs) { return Promise.resolve(); }
      return new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    },
    getCdn() {
      if (this.cdn) { return this.cdn; }
      if (window.solara) { return window.solara.cdn; }
      let base = document.body.dataset.baseUrl || document.baseURI;
      if (!base.endsWith('/')) { base += '/'; }
      return `${base}_solara/cdn`;
    },
  },
}
</script>
<style id="ecosim-vega-style">
.ecosim-vega .vega-embed { width: 100%; }
</style>
"""


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite chart whose data can change without redrawing it from scratch.

    Attributes:
        spec: The Vega-Lite spec without ``datasets``; named data sources
            (``{"data": {"name": "ts"}}``) refer to the entries of ``datasets``.
        datasets: Dataset name -> list of records (JSON-ready: no NaN).
        cdn: Base URL of the Vega packages; default: Solara's CDN proxy.
    """

    template = traitlets.Unicode(_VUE).tag(sync=True, **widget_serialization)
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

// Only the ECharts pieces the dashboard uses (tree-shaken): lines/bars, heatmap, pie, force graph.
import { BarChart, GraphChart, HeatmapChart, LineChart, PieChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  PieChart,
  GraphChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  VisualMapComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

export type ECharts = echarts.ECharts;
export function init(el: HTMLElement, theme?: string): ECharts {
  return echarts.init(el, theme, { renderer: "canvas" });
}

package io.iotpipe.jobs.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The benchmark's results as one PNG: throughput, latency per input rate, and memory over time. */
final class BenchPlot {
  private static final int PANEL_W = 640;
  private static final int PANEL_H = 420;

  private BenchPlot() {}

  /**
   * @param throughput events/s by run name (raw consumer, Spark count, each job), in order
   * @param latency latency percentiles (name → ms) by latency run (job and input rate)
   * @param stateMemory per latency run: (seconds since start, state MB) points
   * @param heapMemory per latency run: (seconds since start, heap MB) points
   */
  static void write(Path png, String subtitle, Map<String, Double> throughput, Map<String, Map<String, Long>> latency,
      Map<String, List<double[]>> stateMemory, Map<String, List<double[]>> heapMemory) throws IOException {
    BufferedImage image = new BufferedImage(PANEL_W * 3, PANEL_H + 30, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.DARK_GRAY);
    g.drawString(subtitle, 10, 20);
    throughputChart(throughput).draw(g, new Rectangle2D.Double(0, 30, PANEL_W, PANEL_H));
    latencyChart(latency).draw(g, new Rectangle2D.Double(PANEL_W, 30, PANEL_W, PANEL_H));
    memoryChart(stateMemory, heapMemory).draw(g, new Rectangle2D.Double(2 * PANEL_W, 30, PANEL_W, PANEL_H));
    g.dispose();
    ImageIO.write(image, "png", png.toFile());
  }

  private static JFreeChart throughputChart(Map<String, Double> throughput) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    throughput.forEach((name, eps) -> data.addValue(eps, "events/s", name));
    JFreeChart chart = ChartFactory.createBarChart("Throughput over the preloaded topic", null,
        "events/s (log scale)", data, PlotOrientation.VERTICAL, false, false, false);
    labelBars(chart);
    // The ceiling and the jobs differ by orders of magnitude: a linear axis would hide the jobs.
    LogAxis axis = new LogAxis("events/s (log scale)");
    axis.setSmallestValue(100);
    axis.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
    chart.getCategoryPlot().setRangeAxis(axis);
    return chart;
  }

  private static JFreeChart latencyChart(Map<String, Map<String, Long>> latency) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    latency.forEach((rate, percentiles) -> percentiles.forEach((p, ms) -> data.addValue(ms, p, rate)));
    JFreeChart chart = ChartFactory.createBarChart("Latency: produced -> visible in Cassandra", "job and input rate",
        "latency (ms)", data, PlotOrientation.VERTICAL, true, false, false);
    labelBars(chart);
    return chart;
  }

  private static JFreeChart memoryChart(Map<String, List<double[]>> state, Map<String, List<double[]>> heap) {
    XYSeriesCollection data = new XYSeriesCollection();
    state.forEach((run, points) -> data.addSeries(series(run + " state MB", points)));
    heap.forEach((run, points) -> data.addSeries(series(run + " heap MB", points)));
    JFreeChart chart = ChartFactory.createXYLineChart("Memory during the fixed-rate runs", "seconds",
        "MB", data, PlotOrientation.VERTICAL, true, false, false);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
    return chart;
  }

  private static XYSeries series(String name, List<double[]> points) {
    XYSeries s = new XYSeries(name);
    points.forEach(p -> s.add(p[0], p[1]));
    return s;
  }

  private static void labelBars(JFreeChart chart) {
    CategoryPlot plot = chart.getCategoryPlot();
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new java.text.DecimalFormat("#,##0")));
    r.setDefaultItemLabelsVisible(true);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    // Names like "device-health 10000/s" are wider than their bar: wrap them rather than cut them.
    plot.getDomainAxis().setMaximumCategoryLabelLines(3);
  }
}

/// The colours every page uses, with the pairs of text and background they are drawn on: each pair
/// passes WCAG 2 AA (4.5:1 for text; a test computes the ratios).
public enum Palette {
    public static let text = "#1b1b1b"
    public static let muted = "#4a4a4a"
    public static let background = "#ffffff"
    public static let panel = "#f3f4f6"
    public static let critical = "#a1001e"
    public static let warning = "#7a4100"
    public static let info = "#1d4f91"
    public static let due = "#2f5233"
    public static let accent = "#5b2a86"

    /// (foreground, background, what) for every text colour on every background it is used on.
    public static let textPairs: [(String, String, String)] = [
        (text, background, "body text"), (muted, background, "secondary text"), (text, panel, "text on panels"), (muted, panel, "secondary text on panels"),
        (background, critical, "critical badge"), (background, warning, "warning badge"), (background, info, "info badge, buttons"), (background, due, "due badge"),
        (critical, background, "acknowledged critical badge, low-alarm label"), (warning, background, "acknowledged warning badge"),
        (info, background, "links, chart labels"), (accent, background, "concentration labels"), (critical, panel, "critical text on panels"),
        (warning, panel, "warning text on panels"), (info, panel, "links on panels"),
    ]
}

/// The one inline style sheet: no fonts, images or anything else from outside the file; legible at
/// 1280x800 and printable (`@media print`).
enum PageStyle {
    static let css = """
        * { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 15px; line-height: 1.45; color: \(Palette.text); background: \(Palette.background); }
        header.page, main, footer.audit { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
        header.page { padding-top: 16px; border-bottom: 2px solid \(Palette.text); }
        h1 { font-size: 1.6em; margin: 0 0 4px; }
        h2 { font-size: 1.2em; margin: 0 0 8px; }
        .subtitle { color: \(Palette.muted); margin: 0 0 12px; }
        .card { background: \(Palette.panel); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
        .status dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 2px 24px; margin: 0; }
        .status dl div { display: flex; gap: 12px; }
        .status dt { min-width: 88px; font-weight: 600; }
        .status dd { margin: 0; }
        .badge { display: inline-block; min-width: 5.5em; text-align: center; padding: 1px 6px; border-radius: 4px; font-weight: 700; font-size: 0.85em; color: \(Palette.background); border: 2px solid transparent; }
        .badge-critical { background: \(Palette.critical); }
        .badge-warning { background: \(Palette.warning); }
        .badge-info { background: \(Palette.info); }
        .badge-due { background: \(Palette.due); }
        .badge.acknowledged { background: \(Palette.background); }
        .badge-critical.acknowledged { color: \(Palette.critical); border-color: \(Palette.critical); }
        .badge-warning.acknowledged { color: \(Palette.warning); border-color: \(Palette.warning); }
        .badge-info.acknowledged { color: \(Palette.info); border-color: \(Palette.info); }
        .alert-list { list-style: none; padding: 0; margin: 0; }
        .alert-list li { padding: 6px 0; border-top: 1px solid #c8ccd2; }
        .alert-list li:first-child { border-top: 0; }
        .alert .events, .event-id { color: \(Palette.muted); font-size: 0.85em; }
        .alert .ack { margin: 4px 0 0 6.5em; color: \(Palette.muted); }
        .chart-figure { margin: 16px 0; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg.chart { display: block; width: 100%; max-width: 1200px; height: auto; background: \(Palette.background); }
        svg.chart text { font-size: 12px; fill: \(Palette.text); }
        svg.chart .plot { fill: none; stroke: \(Palette.muted); stroke-width: 1; }
        svg.chart .grid { stroke: #d5d8dd; stroke-width: 1; }
        svg.chart .tickmark { stroke: \(Palette.muted); }
        svg.chart .series { fill: none; stroke-width: 2; stroke-linejoin: round; }
        svg.chart .reservoir, svg.chart .dose, svg.chart .ashworth { stroke: \(Palette.info); }
        svg.chart .point { fill: \(Palette.info); }
        svg.chart .step { stroke: \(Palette.info); stroke-width: 2; }
        svg.chart .penn { stroke: \(Palette.warning); stroke-dasharray: 6 4; }
        svg.chart .projection { fill: none; stroke: \(Palette.info); stroke-width: 2; stroke-dasharray: 8 5; }
        svg.chart .projection.observed { stroke: \(Palette.warning); stroke-dasharray: 2 4; stroke-width: 2.5; }
        svg.chart .empty-mark polygon { fill: \(Palette.info); stroke: \(Palette.background); stroke-width: 1; }
        svg.chart .empty-mark.observed polygon { fill: \(Palette.warning); }
        svg.chart .low-alarm { fill: none; stroke: \(Palette.critical); stroke-width: 1.5; stroke-dasharray: 10 4; }
        svg.chart .low-alarm-label { fill: \(Palette.critical); font-weight: 600; }
        svg.chart .low-alarm-label, svg.chart .asof-label { text-shadow: 0 0 2px \(Palette.background), 0 0 3px \(Palette.background), 0 0 4px \(Palette.background); }
        svg.chart .asof { stroke: \(Palette.text); stroke-width: 1.5; }
        svg.chart .asof-label { font-weight: 600; }
        svg.chart .refill-gap { stroke: \(Palette.text); stroke-width: 1.5; }
        svg.chart .refill .expected { fill: \(Palette.background); stroke: \(Palette.info); stroke-width: 2; }
        svg.chart .refill .measured { fill: \(Palette.text); }
        svg.chart .refill.flagged .measured { fill: \(Palette.critical); }
        svg.chart .refill.flagged .refill-gap { stroke: \(Palette.critical); stroke-width: 2.5; }
        svg.chart .concentration-change line { stroke: \(Palette.accent); stroke-width: 1.5; stroke-dasharray: 2 3; }
        svg.chart .marker-label { fill: \(Palette.accent); font-weight: 600; }
        svg.chart .score.ashworth circle { fill: \(Palette.info); }
        svg.chart .score.penn rect { fill: \(Palette.warning); stroke: \(Palette.background); stroke-width: 1; }
        svg.spark .sparkline { fill: none; stroke: \(Palette.info); stroke-width: 1.5; }
        svg.spark .sparkline-low { stroke: \(Palette.critical); stroke-width: 1; stroke-dasharray: 4 2; }
        svg.spark .sparkline-asof { stroke: \(Palette.text); stroke-width: 1; }
        svg.spark { width: 160px; height: 36px; display: block; }
        svg.spark .sparkline-none { fill: none; stroke: \(Palette.muted); stroke-width: 1; stroke-dasharray: 3 3; }
        svg.spark text { font-size: 12px; fill: \(Palette.muted); }
        .legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; color: \(Palette.muted); font-size: 0.9em; }
        .key { display: inline-block; width: 22px; height: 0; margin-right: 6px; vertical-align: middle; border-top: 3px solid \(Palette.info); }
        .key-projection { border-top-style: dashed; }
        .key-observed { border-top: 3px dotted \(Palette.warning); }
        .key-low { border-top: 2px dashed \(Palette.critical); }
        .key-expected { width: 10px; height: 10px; border: 2px solid \(Palette.info); border-radius: 50%; }
        .key-measured { width: 10px; height: 10px; border: 0; background: \(Palette.text); }
        .key-empty { width: 9px; height: 9px; border: 0; background: \(Palette.info); transform: rotate(45deg); }
        .key-asof { width: 0; height: 14px; border-top: 0; border-left: 2px solid \(Palette.text); }
        .key-concentration { border-top: 2px dotted \(Palette.accent); }
        .key-ashworth { width: 10px; height: 10px; border: 0; border-radius: 50%; background: \(Palette.info); }
        .key-penn { width: 10px; height: 10px; border: 0; background: \(Palette.warning); }
        details { margin: 6px 0; }
        summary { cursor: pointer; color: \(Palette.info); }
        table { border-collapse: collapse; font-size: 0.9em; }
        th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #c8ccd2; vertical-align: top; }
        th { background: \(Palette.panel); }
        .timeline-table { width: 100%; background: \(Palette.background); }
        .timeline-table .time, .timeline-table .seq { white-space: nowrap; font-variant-numeric: tabular-nums; }
        .status-voided .summary { text-decoration: line-through; }
        .status-voided td, .status-superseded td { color: \(Palette.muted); }
        .conflict { color: \(Palette.critical); font-weight: 600; }
        .worklist-table { width: 100%; background: \(Palette.background); }
        .worklist-table td.alerts-cell ul { margin: 0; padding-left: 18px; }
        .worklist-table td:not(.alerts-cell), .worklist-table th { white-space: nowrap; }
        a { color: \(Palette.info); }
        footer.audit { margin-top: 24px; padding-top: 12px; padding-bottom: 24px; border-top: 2px solid \(Palette.text); color: \(Palette.muted); font-size: 0.9em; }
        footer.audit code { color: \(Palette.text); word-break: break-all; }
        footer.audit table { width: 100%; }
        .empty { color: \(Palette.muted); font-style: italic; }
        @media print {
          @page { size: A4; margin: 14mm; }
          body { font-size: 10pt; }
          details table { font-size: 8pt; }
          th, td { padding: 2px 4px; }
          header.page, main, footer.audit { max-width: none; padding: 0; }
          .card { background: none; border: 1px solid #999999; break-inside: avoid; }
          .chart-figure, .timeline-table tr, .alert-list li { break-inside: avoid; }
          details:not([open]) { display: none; }
          summary { color: \(Palette.text); }
          a { color: \(Palette.text); text-decoration: none; }
        }
        """
}

/// CSV exports of projections (see ExportKind).
public enum TherapyLedgerExport {}

/// A seeded generator of plausible ITB therapy histories.
public enum TherapyLedgerSimulation {}

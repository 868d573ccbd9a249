/// The pump models the ledger knows (`schemas/devices/catalogue.json`, tested to be equal): capacities,
/// the default low-reservoir alarm volume and the battery-life rule used for end-of-life alerts.
public struct DeviceModel: Sendable, Hashable {
    /// The battery-life rule: age-based end-of-life alerts, and how long a pump runs after its ERI.
    public struct Battery: Sendable, Hashable {
        public var warningYears: Double
        public var criticalYears: Double
        public var eriToStopDays: Double
    }

    public var name: String
    public var manufacturer: String
    /// Lowercase strings; a `pumpModel` containing one of them is this model.
    public var match: [String]
    public var capacitiesMl: [Double]
    public var defaultLowAlarmMl: Double
    /// Nil when the sources give no battery-life rule: then no age-based end-of-life alert.
    public var battery: Battery?
    public var source: String
}

/// Looks pump models up in the catalogue.
public enum DeviceCatalogue {
    /// The ledger's low-alarm volume for a model the catalogue lacks, in mL (domain.md, design).
    public static let fallbackLowAlarmMl = 2.0
    /// How long a pump runs after its elective replacement indicator when the catalogue does not say, in days.
    public static let fallbackEriToStopDays = 90.0

    /// The catalogue, in match order (the first entry whose match string a model contains wins).
    public static let models: [DeviceModel] = [
        DeviceModel(name: "SynchroMed II", manufacturer: "Medtronic", match: ["synchromed ii", "8637-20", "8637-40"], capacitiesMl: [20, 40],
                    defaultLowAlarmMl: 2.0, battery: .init(warningYears: 6.5, criticalYears: 7.0, eriToStopDays: 90),
                    source: "Medtronic SynchroMed II (models 8637-20 and 8637-40: 20 and 40 mL): battery life up to about 7 years; the pump stops about 90 days after its elective replacement indicator (ERI); recommended low-reservoir alarm 2 mL (domain.md, Pumps)."),
        DeviceModel(name: "Prometra", manufacturer: "Flowonix", match: ["prometra"], capacitiesMl: [20, 40], defaultLowAlarmMl: 2.0, battery: nil,
                    source: "Flowonix Prometra / Prometra II: 20 and 40 mL, valve-gated (domain.md, Pumps). The catalogue's sources give no battery-life rule, so no age-based end-of-life alert; the low-alarm default is the ledger's 2.0 mL (design)."),
    ]

    /// The catalogue entry for a recorded `pumpModel` (case-insensitive containment), nil when unknown.
    public static func model(for pumpModel: String?) -> DeviceModel? {
        guard let pumpModel else { return nil }
        let m = pumpModel.lowercased()
        return models.first { entry in entry.match.contains { m.contains($0) } }
    }

    /// The low-alarm volume a new pump gets when its event gives none.
    public static func defaultLowAlarmMl(for pumpModel: String?) -> Double {
        model(for: pumpModel)?.defaultLowAlarmMl ?? fallbackLowAlarmMl
    }
}

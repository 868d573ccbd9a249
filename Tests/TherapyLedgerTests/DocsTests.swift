import Foundation
import Testing
@testable import TherapyLedgerCore

/// The project carries its own clinical reference, and the README points at it.
@Suite struct DocsTests {
    let doc = rootPath("docs/clinical-model.md")

    @Test func theReadmeLinksTheClinicalModelAndNothingOutsideTheClone() throws {
        let readme = try String(contentsOfFile: rootPath("README.md"), encoding: .utf8)
        #expect(readme.contains("(docs/clinical-model.md)"))
        #expect(FileManager.default.fileExists(atPath: doc))
        // No file of the project refers to a folder beside the clone.
        let r = try run("/usr/bin/env", ["grep", "-rIl", "--exclude-dir=.build", "--exclude-dir=.git", "--exclude=DocsTests.swift", "\\.\\./shared", packageRoot.path])
        #expect(r.stdout.isEmpty, "files referring to ../shared: \(r.stdout)")
    }

    @Test func everyNumberTheCodeUsesIsInTheClinicalModel() throws {
        let text = try String(contentsOfFile: doc, encoding: .utf8)
        func has(_ s: String, _ what: String) { #expect(text.contains(s), "docs/clinical-model.md lacks \(what) (\(s))") }
        has("**3000 mcg/day**", "DataValidator.maxDoseMcg = \(DataValidator.maxDoseMcg)")
        #expect(DataValidator.maxDoseMcg == 3000)
        has("**100 mL**", "DataValidator.maxReservoirMl")
        #expect(DataValidator.maxReservoirMl == 100)
        has("**10 000 mcg/mL**", "DataValidator.maxConcentrationMcgPerMl")
        #expect(DataValidator.maxConcentrationMcgPerMl == 10_000)
        has("**6.5 years**", "PatientStatus.endOfLifeWarningYears")
        #expect(PatientStatus.endOfLifeWarningYears == 6.5 && PatientStatus.endOfLifeCriticalYears == 7)
        has("**180 days**", "PatientStatus.maxRefillIntervalDays")
        #expect(PatientStatus.maxRefillIntervalDays == 180)
        has("**7 days**", "PatientStatus.doseStepAlertDays")
        #expect(PatientStatus.doseStepAlertDays == 7)
        has("**30 %** (spinal origin) or **15 %** (cerebral origin)", "PatientFold.stepLimit")
        #expect(PatientFold.stepLimit(origin: "spinal") == 0.30 && PatientFold.stepLimit(origin: "cerebral") == 0.15)
        has("within **1 hour**", "PatientFold.confirmationWindow")
        #expect(PatientFold.confirmationWindow == 3600)
        has("**1.0 mL** and **14.5 %**", "the refill discrepancy threshold")
        has("**2.0 mL** by default", "the default low-alarm volume")
        has("**12-2000 mcg/day**", "the spinal maintenance range")
        has("**22-1400 mcg/day**", "the cerebral maintenance range")
        has("**14 days**", "the worklist default")
        has("**1 day** in the future", "the future bound")
        for scale in ["**0, 1, 1+, 2, 3, 4**", "**0-4**", "**1-5**"] { has(scale, "a scale") }
    }
}

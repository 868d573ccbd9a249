import Testing
import TherapyLedgerCore

/// Output rounding: fixed decimals, half away from zero, no negative zero.
@Suite struct RoundingTests {
    @Test(arguments: [
        (5.0, 2, "5.00"), (0.05, 2, "0.05"), (12.0, 0, "12"), (-2.66, 2, "-2.66"), (-0.001, 2, "0.00"),
        (0.125, 2, "0.13"), (-0.125, 2, "-0.13"), (1234.56789, 4, "1234.5679"), (0.0, 1, "0.0"), (199.95, 1, "200.0"),
        (0.24, 4, "0.2400"), (9.5, 0, "10"),
    ])
    func fixed(value: Double, decimals: Int, expected: String) {
        #expect(Rounding.fixed(value, decimals: decimals) == expected)
    }

    @Test func hugeAndNonFiniteValuesDoNotTrap() {
        #expect(Rounding.fixed(1e300, decimals: 2) == "1e+300")
        // No output ever says inf or nan: a non-finite number (which validation keeps out) is written empty.
        #expect(Rounding.fixed(.infinity, decimals: 1) == "")
        #expect(Rounding.fixed(-.infinity, decimals: 1) == "")
        #expect(Rounding.fixed(.nan, decimals: 1) == "")
    }
}

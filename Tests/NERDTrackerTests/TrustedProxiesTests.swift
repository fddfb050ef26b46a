import Testing

@testable import NERDTracker

@Suite struct TrustedProxiesTests {
    func ip(_ text: String) -> [UInt8] { IPAddressText.parse(text)! }

    @Test func addressesAndRangesMatchByPrefix() throws {
        let proxies = try TrustedProxies.parse(["192.0.2.7", "10.16.0.0/12", "172.16.5.9/20", "2001:db8:aa::/48", "::ffff:100.64.0.0/106"]).get()
        #expect(proxies.contains(ip("192.0.2.7")))
        #expect(!proxies.contains(ip("192.0.2.8")))
        #expect(proxies.contains(ip("10.16.0.1")) && proxies.contains(ip("10.31.255.255")))
        #expect(!proxies.contains(ip("10.32.0.0")) && !proxies.contains(ip("10.15.255.255")))
        // Host bits under the prefix are ignored: 172.16.5.9/20 is 172.16.0.0/20.
        #expect(proxies.contains(ip("172.16.15.1")) && !proxies.contains(ip("172.16.16.1")))
        #expect(proxies.contains(ip("2001:db8:aa:ffff::1")) && !proxies.contains(ip("2001:db8:ab::1")))
        // An IPv4-mapped range is an IPv4 range (/106 is /10).
        #expect(proxies.contains(ip("100.127.0.1")) && !proxies.contains(ip("100.128.0.1")))
        #expect(!proxies.contains(ip("::1")))
        #expect(try TrustedProxies.parse([]).get().isEmpty)
        #expect(try TrustedProxies.parse(["0.0.0.0/0"]).get().contains(ip("198.51.100.1")))
    }

    @Test(arguments: ["proxy.example", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/+8", "10.0.0.0/0008", "::/129", "::ffff:1.2.3.4/95", "1.2.3.4 "])
    func malformedEntriesAreRefused(entry: String) {
        #expect(throws: TrackerError.self) { _ = try TrustedProxies.parse([entry]).get() }
    }
}

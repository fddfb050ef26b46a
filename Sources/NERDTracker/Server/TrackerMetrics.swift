import CoreMetrics
import Prometheus

/// The tracker's counters and gauges (swift-metrics), kept in its own Prometheus registry so
/// `/metrics` shows this tracker only, whatever the host process bootstrapped.
final class TrackerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let httpAnnounces: CoreMetrics.Counter
    let udpAnnounces: CoreMetrics.Counter
    let udpConnects: CoreMetrics.Counter
    let scrapes: CoreMetrics.Counter
    let badRequests: CoreMetrics.Counter
    let droppedPackets: CoreMetrics.Counter
    /// Announces for torrents off the allow-list (HTTP and UDP alike).
    let notAllowed: CoreMetrics.Counter
    /// Times the HTTP listener stopped accepting for lack of descriptors or memory.
    let acceptPauses: CoreMetrics.Counter
    let torrents: CoreMetrics.Gauge
    let peers: CoreMetrics.Gauge
    let seeders: CoreMetrics.Gauge

    init() {
        let factory = PrometheusMetricsFactory(registry: registry)
        httpAnnounces = CoreMetrics.Counter(label: "nerd_tracker_announces_total", dimensions: [("protocol", "http")], factory: factory)
        udpAnnounces = CoreMetrics.Counter(label: "nerd_tracker_announces_total", dimensions: [("protocol", "udp")], factory: factory)
        udpConnects = CoreMetrics.Counter(label: "nerd_tracker_udp_connects_total", factory: factory)
        scrapes = CoreMetrics.Counter(label: "nerd_tracker_scrapes_total", factory: factory)
        badRequests = CoreMetrics.Counter(label: "nerd_tracker_bad_requests_total", factory: factory)
        droppedPackets = CoreMetrics.Counter(label: "nerd_tracker_dropped_packets_total", factory: factory)
        notAllowed = CoreMetrics.Counter(label: "nerd_tracker_not_allowed_total", factory: factory)
        acceptPauses = CoreMetrics.Counter(label: "nerd_tracker_accept_pauses_total", factory: factory)
        torrents = CoreMetrics.Gauge(label: "nerd_tracker_torrents", factory: factory)
        peers = CoreMetrics.Gauge(label: "nerd_tracker_peers", factory: factory)
        seeders = CoreMetrics.Gauge(label: "nerd_tracker_seeders", factory: factory)
    }

    func record(_ statistics: SwarmRegistry.Statistics) {
        torrents.record(statistics.torrents)
        peers.record(statistics.peers)
        seeders.record(statistics.seeders)
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

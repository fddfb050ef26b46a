import Foundation

/// Reads the JSON object a command printed last (one object per line, other lines ignored).
public enum JSONOutput {
    public static func lastObject(in text: String) -> [String: Any] {
        let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }).map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }
}

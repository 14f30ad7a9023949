import ArgumentParser
import Bridge
import Foundation

/// `reflex ports`: the serial ports libserialport finds, with USB metadata.
struct PortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ports",
        abstract: "List serial ports with USB vendor:product id, manufacturer, product and serial number.",
        discussion: """
            Lists what libserialport enumerates: real UARTs and USB serial adapters. Pseudo-terminals (a virtual
            robot's link) are not serial ports to libserialport and are not listed; pass their path to
            reflex run --port directly.
            """)

    @Flag(help: "Print one JSON object with a ports list.")
    var json = false

    func run() throws {
        let ports = try SerialPortList.list()
        if json {
            try printJSON(["ports": ports.map { p -> [String: Any] in
                var o: [String: Any] = ["name": p.name, "description": p.description, "transport": p.transport]
                if let id = p.usbID { o["usb_id"] = id }
                if let m = p.manufacturer { o["manufacturer"] = m }
                if let m = p.product { o["product"] = m }
                if let m = p.serialNumber { o["serial_number"] = m }
                return o
            }])
            return
        }
        guard !ports.isEmpty else {
            print("no serial ports found (plug in the board, or check that you may read /dev/ttyUSB* and /dev/ttyACM*)")
            return
        }
        for p in ports {
            var line = "\(p.name)  \(p.transport)"
            if let id = p.usbID { line += "  \(id)" }
            let details = [p.manufacturer, p.product, p.serialNumber.map { "serial \($0)" }].compactMap { $0 }
            if !details.isEmpty { line += "  " + details.joined(separator: " · ") }
            if !p.description.isEmpty && p.product == nil { line += "  (\(p.description))" }
            print(line)
        }
    }
}

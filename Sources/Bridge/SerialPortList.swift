import CSerialPort
import ReflexCore

/// One serial port as libserialport enumerates it (real UARTs and USB adapters; pseudo-terminals are not listed).
public struct SerialPortInfo: Sendable, Equatable {
    /// Device path (`/dev/ttyUSB0`).
    public var name: String
    /// libserialport's one-line description.
    public var description: String
    /// `usb`, `native` or `bluetooth`.
    public var transport: String
    /// USB vendor and product id, when the port is a USB device.
    public var vendorID: Int?
    public var productID: Int?
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?

    /// `VID:PID` in four hex digits each (`0403:6001`), or nil when not USB.
    public var usbID: String? {
        guard let vendorID, let productID else { return nil }
        return hex4(vendorID) + ":" + hex4(productID)
    }

    private func hex4(_ v: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

public enum SerialPortList {
    /// Every serial port libserialport finds, sorted by path; throws when enumeration itself fails.
    public static func list() throws -> [SerialPortInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        guard sp_list_ports(&list) == SP_OK, let list else {
            let reason = String(cString: sp_last_error_message())
            throw ReflexError(.io, "cannot list serial ports: \(reason)")
        }
        defer { sp_free_port_list(list) }
        var ports: [SerialPortInfo] = []
        var index = 0
        while let port = list[index] {
            index += 1
            func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
                guard let pointer else { return nil }
                let value = String(cString: pointer)
                return value.isEmpty ? nil : value
            }
            var info = SerialPortInfo(
                name: text(sp_get_port_name(port)) ?? "?", description: text(sp_get_port_description(port)) ?? "",
                transport: "native")
            switch sp_get_port_transport(port) {
            case SP_TRANSPORT_USB:
                info.transport = "usb"
                var vid: Int32 = 0
                var pid: Int32 = 0
                if sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK {
                    info.vendorID = Int(vid)
                    info.productID = Int(pid)
                }
                info.manufacturer = text(sp_get_port_usb_manufacturer(port))
                info.product = text(sp_get_port_usb_product(port))
                info.serialNumber = text(sp_get_port_usb_serial(port))
            case SP_TRANSPORT_BLUETOOTH:
                info.transport = "bluetooth"
            default:
                break
            }
            ports.append(info)
        }
        return ports.sorted { $0.name < $1.name }
    }
}

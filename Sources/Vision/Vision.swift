import COpenCV

/// Camera sources, rendering of plant scenes into camera images, preprocessing, video and image writing.
public enum Vision {
    /// The OpenCV version the shim links.
    public static var openCVVersion: String { String(cString: rcv_version()) }
}

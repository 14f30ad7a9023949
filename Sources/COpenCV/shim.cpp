// The extern "C" shim over OpenCV (see include/copencv.h). Every entry point catches all exceptions: a
// cv::Exception (or std::bad_alloc) becomes RCV_ERROR plus a thread-local message, never an abort.
#include "copencv.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace {

thread_local std::string lastError;

void setError(const std::string &message) { lastError = message; }

// OpenCV prints its own warnings (failed backends, missing codecs) to stderr; the Swift side reports
// failures itself, naming the file or device, so the library stays quiet unless asked otherwise.
struct Quiet {
    Quiet() {
        try {
            cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        } catch (...) {
        }
    }
} quiet;

// Runs `body`, turning any exception into RCV_ERROR with a message that starts with `what`.
template <typename F> int guarded(const char *what, F body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        setError(std::string(what) + ": " + (e.err.empty() ? e.what() : e.err));
    } catch (const std::exception &e) {
        setError(std::string(what) + ": " + e.what());
    } catch (...) {
        setError(std::string(what) + ": unknown C++ exception");
    }
    return RCV_ERROR;
}

bool validView(const rcv_view &v, const char *what) {
    if (v.data == nullptr || v.width <= 0 || v.height <= 0 || (v.channels != 1 && v.channels != 3)) {
        setError(std::string(what) + ": invalid image (" + std::to_string(v.width) + "x" + std::to_string(v.height) + "x" +
                 std::to_string(v.channels) + ")");
        return false;
    }
    return true;
}

cv::Mat wrap(const rcv_view &v) { return cv::Mat(v.height, v.width, v.channels == 1 ? CV_8UC1 : CV_8UC3, v.data); }

cv::Scalar scalar(const rcv_color &c) { return cv::Scalar(c.b, c.g, c.r); }

int lineType(int antialiased) { return antialiased ? cv::LINE_AA : cv::LINE_8; }

// Brings any decoded frame to 8-bit gray or BGR, the two layouts the Swift side knows.
void normalizeDepth(cv::Mat &m) {
    if (m.depth() == CV_16U) {
        cv::Mat scaled;
        m.convertTo(scaled, CV_8U, 1.0 / 257.0);
        m = scaled;
    } else if (m.depth() != CV_8U) {
        cv::Mat scaled;
        m.convertTo(scaled, CV_8U);
        m = scaled;
    }
    if (m.channels() == 4) {
        cv::Mat bgr;
        cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
        m = bgr;
    } else if (m.channels() == 2) {
        // Packed YUYV delivered raw by some drivers when conversion is off.
        cv::Mat bgr;
        cv::cvtColor(m, bgr, cv::COLOR_YUV2BGR_YUYV);
        m = bgr;
    }
}

// Copies `m` (8-bit, 1 or 3 channels) into `dst`, converting the channel count.
int copyInto(const cv::Mat &m, rcv_view dst, const char *what) {
    if (!validView(dst, what)) return RCV_ERROR;
    if (m.cols != dst.width || m.rows != dst.height) {
        setError(std::string(what) + ": frame is " + std::to_string(m.cols) + "x" + std::to_string(m.rows) +
                 ", buffer is " + std::to_string(dst.width) + "x" + std::to_string(dst.height));
        return RCV_ERROR;
    }
    cv::Mat out = wrap(dst);
    if (m.channels() == dst.channels) {
        m.copyTo(out);
    } else if (m.channels() == 3 && dst.channels == 1) {
        cv::cvtColor(m, out, cv::COLOR_BGR2GRAY);
    } else if (m.channels() == 1 && dst.channels == 3) {
        cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
    } else {
        setError(std::string(what) + ": cannot convert " + std::to_string(m.channels()) + " channels");
        return RCV_ERROR;
    }
    // copyTo/cvtColor reallocate rather than fail if the destination does not fit; make sure they did not.
    if (out.data != dst.data) {
        setError(std::string(what) + ": internal size mismatch");
        return RCV_ERROR;
    }
    return RCV_OK;
}

} // namespace

struct rcv_capture {
    cv::VideoCapture capture;
    cv::Mat frame;
};

struct rcv_writer {
    cv::VideoWriter writer;
    int width, height, channels;
};

struct rcv_image {
    cv::Mat mat;
};

extern "C" {

const char *rcv_version(void) { return CV_VERSION; }

const char *rcv_last_error(void) { return lastError.c_str(); }

// MARK: capture

rcv_capture *rcv_capture_open_index(int index, int api) {
    rcv_capture *result = nullptr;
    guarded("open camera", [&] {
        auto *c = new rcv_capture();
        if (!c->capture.open(index, api)) {
            delete c;
            setError("OpenCV could not open camera " + std::to_string(index));
            return RCV_ERROR;
        }
        result = c;
        return RCV_OK;
    });
    return result;
}

rcv_capture *rcv_capture_open_path(const char *path, int api) {
    rcv_capture *result = nullptr;
    guarded("open capture", [&] {
        if (path == nullptr) {
            setError("open capture: no path");
            return RCV_ERROR;
        }
        auto *c = new rcv_capture();
        if (!c->capture.open(std::string(path), api)) {
            delete c;
            setError(std::string("OpenCV could not open '") + path + "' (no backend reads it)");
            return RCV_ERROR;
        }
        result = c;
        return RCV_OK;
    });
    return result;
}

int rcv_capture_configure(rcv_capture *c, int width, int height, double fps) {
    return guarded("configure capture", [&] {
        if (c == nullptr) throw std::invalid_argument("no capture");
        // The device may refuse or round; the caller reads back what it got.
        if (width > 0) c->capture.set(cv::CAP_PROP_FRAME_WIDTH, width);
        if (height > 0) c->capture.set(cv::CAP_PROP_FRAME_HEIGHT, height);
        if (fps > 0) c->capture.set(cv::CAP_PROP_FPS, fps);
        return RCV_OK;
    });
}

int rcv_capture_properties(rcv_capture *c, int *width, int *height, double *fps, double *frame_count) {
    return guarded("capture properties", [&] {
        if (c == nullptr) throw std::invalid_argument("no capture");
        if (width) *width = (int)c->capture.get(cv::CAP_PROP_FRAME_WIDTH);
        if (height) *height = (int)c->capture.get(cv::CAP_PROP_FRAME_HEIGHT);
        if (fps) *fps = c->capture.get(cv::CAP_PROP_FPS);
        if (frame_count) *frame_count = c->capture.get(cv::CAP_PROP_FRAME_COUNT);
        return RCV_OK;
    });
}

int rcv_capture_read(rcv_capture *c, int *width, int *height) {
    return guarded("read frame", [&] {
        if (c == nullptr) throw std::invalid_argument("no capture");
        if (!c->capture.read(c->frame) || c->frame.empty()) {
            c->frame.release();
            return RCV_END;
        }
        normalizeDepth(c->frame);
        if (width) *width = c->frame.cols;
        if (height) *height = c->frame.rows;
        return RCV_OK;
    });
}

int rcv_capture_retrieve(rcv_capture *c, rcv_view dst) {
    return guarded("retrieve frame", [&] {
        if (c == nullptr || c->frame.empty()) throw std::invalid_argument("no frame has been read");
        return copyInto(c->frame, dst, "retrieve frame");
    });
}

void rcv_capture_release(rcv_capture *c) {
    guarded("release capture", [&] {
        delete c;
        return RCV_OK;
    });
}

int rcv_v4l2_probe(const char *path, char *card, size_t card_capacity, const char **step) {
    static const char *open_step = "open", *querycap_step = "querycap", *capture_step = "capture",
                      *reqbufs_step = "reqbufs";
    if (card && card_capacity > 0) card[0] = 0;
    int fd = ::open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (step) *step = open_step;
        return errno;
    }
    v4l2_capability cap;
    std::memset(&cap, 0, sizeof cap);
    if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
        int e = errno;
        ::close(fd);
        if (step) *step = querycap_step;
        return e;
    }
    if (card && card_capacity > 0) {
        std::strncpy(card, reinterpret_cast<const char *>(cap.card), card_capacity - 1);
        card[card_capacity - 1] = 0;
    }
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE))) {
        ::close(fd);
        if (step) *step = capture_step;
        return ENODEV;
    }
    // Another program streaming from the device owns its buffers: requesting some fails with EBUSY.
    v4l2_requestbuffers req;
    std::memset(&req, 0, sizeof req);
    req.count = 1;
    req.type = (caps & V4L2_CAP_VIDEO_CAPTURE) ? V4L2_BUF_TYPE_VIDEO_CAPTURE : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
    req.memory = V4L2_MEMORY_MMAP;
    if (ioctl(fd, VIDIOC_REQBUFS, &req) < 0) {
        int e = errno;
        ::close(fd);
        if (e == EBUSY) {
            if (step) *step = reqbufs_step;
            return e;
        }
        return 0;  // Some drivers refuse MMAP but stream otherwise; let OpenCV try.
    }
    req.count = 0;
    ioctl(fd, VIDIOC_REQBUFS, &req);
    ::close(fd);
    return 0;
}

// MARK: writing video

rcv_writer *rcv_writer_open(const char *path, const char *fourcc, double fps, int width, int height, int is_color) {
    rcv_writer *result = nullptr;
    guarded("open video writer", [&] {
        if (path == nullptr || fourcc == nullptr || std::strlen(fourcc) != 4) {
            setError("open video writer: need a path and a four-character codec");
            return RCV_ERROR;
        }
        auto *w = new rcv_writer();
        int code = cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
        if (!w->writer.open(std::string(path), cv::CAP_ANY, code, fps, cv::Size(width, height), is_color != 0)) {
            delete w;
            setError(std::string("OpenCV could not open '") + path + "' for writing with codec " + fourcc);
            return RCV_ERROR;
        }
        w->width = width;
        w->height = height;
        w->channels = is_color ? 3 : 1;
        result = w;
        return RCV_OK;
    });
    return result;
}

int rcv_writer_write(rcv_writer *w, rcv_view frame) {
    return guarded("write video frame", [&] {
        if (w == nullptr) throw std::invalid_argument("no writer");
        if (!validView(frame, "write video frame")) return RCV_ERROR;
        if (frame.width != w->width || frame.height != w->height || frame.channels != w->channels) {
            setError("write video frame: frame is " + std::to_string(frame.width) + "x" + std::to_string(frame.height) + "x" +
                     std::to_string(frame.channels) + ", the video is " + std::to_string(w->width) + "x" +
                     std::to_string(w->height) + "x" + std::to_string(w->channels));
            return RCV_ERROR;
        }
        w->writer.write(wrap(frame));
        return RCV_OK;
    });
}

void rcv_writer_release(rcv_writer *w) {
    guarded("close video writer", [&] {
        if (w) w->writer.release();
        delete w;
        return RCV_OK;
    });
}

// MARK: image files

rcv_image *rcv_imread(const char *path, int *width, int *height, int *channels) {
    rcv_image *result = nullptr;
    guarded("read image", [&] {
        if (path == nullptr) throw std::invalid_argument("no path");
        cv::Mat m = cv::imread(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
        if (m.empty()) {
            setError(std::string("OpenCV could not decode '") + path + "' as an image");
            return RCV_ERROR;
        }
        normalizeDepth(m);
        auto *image = new rcv_image{m};
        if (width) *width = m.cols;
        if (height) *height = m.rows;
        if (channels) *channels = m.channels();
        result = image;
        return RCV_OK;
    });
    return result;
}

int rcv_image_copy(const rcv_image *image, rcv_view dst) {
    return guarded("copy image", [&] {
        if (image == nullptr) throw std::invalid_argument("no image");
        return copyInto(image->mat, dst, "copy image");
    });
}

void rcv_image_release(rcv_image *image) {
    guarded("release image", [&] {
        delete image;
        return RCV_OK;
    });
}

int rcv_imwrite(const char *path, rcv_view image) {
    return guarded("write image", [&] {
        if (path == nullptr) throw std::invalid_argument("no path");
        if (!validView(image, "write image")) return RCV_ERROR;
        if (!cv::imwrite(path, wrap(image))) {
            setError(std::string("OpenCV could not write '") + path + "'");
            return RCV_ERROR;
        }
        return RCV_OK;
    });
}

// MARK: image processing

int rcv_resize(rcv_view src, rcv_view dst, int interpolation) {
    return guarded("resize", [&] {
        if (!validView(src, "resize") || !validView(dst, "resize")) return RCV_ERROR;
        if (src.channels != dst.channels) throw std::invalid_argument("channel counts differ");
        cv::Mat out = wrap(dst);
        cv::resize(wrap(src), out, out.size(), 0, 0, interpolation);
        return RCV_OK;
    });
}

int rcv_convert_color(rcv_view src, rcv_view dst) {
    return guarded("convert colour", [&] {
        if (!validView(src, "convert colour") || !validView(dst, "convert colour")) return RCV_ERROR;
        if (src.width != dst.width || src.height != dst.height) throw std::invalid_argument("sizes differ");
        return copyInto(wrap(src), dst, "convert colour");
    });
}

// MARK: drawing

int rcv_draw_line(rcv_view image, int x0, int y0, int x1, int y1, rcv_color color, int thickness, int antialiased) {
    return guarded("draw line", [&] {
        if (!validView(image, "draw line")) return RCV_ERROR;
        cv::Mat m = wrap(image);
        cv::line(m, cv::Point(x0, y0), cv::Point(x1, y1), scalar(color), thickness, lineType(antialiased), RCV_SHIFT);
        return RCV_OK;
    });
}

int rcv_draw_rectangle(rcv_view image, int x0, int y0, int x1, int y1, rcv_color color, int thickness, int antialiased) {
    return guarded("draw rectangle", [&] {
        if (!validView(image, "draw rectangle")) return RCV_ERROR;
        cv::Mat m = wrap(image);
        cv::rectangle(m, cv::Point(x0, y0), cv::Point(x1, y1), scalar(color), thickness, lineType(antialiased), RCV_SHIFT);
        return RCV_OK;
    });
}

int rcv_draw_circle(rcv_view image, int cx, int cy, int radius, rcv_color color, int thickness, int antialiased) {
    return guarded("draw circle", [&] {
        if (!validView(image, "draw circle")) return RCV_ERROR;
        cv::Mat m = wrap(image);
        cv::circle(m, cv::Point(cx, cy), radius, scalar(color), thickness, lineType(antialiased), RCV_SHIFT);
        return RCV_OK;
    });
}

int rcv_fill_polygon(rcv_view image, const int *xy, int count, rcv_color color, int antialiased) {
    return guarded("fill polygon", [&] {
        if (!validView(image, "fill polygon")) return RCV_ERROR;
        if (xy == nullptr || count < 3) throw std::invalid_argument("a polygon needs at least 3 vertices");
        std::vector<cv::Point> points(count);
        for (int i = 0; i < count; ++i) points[i] = cv::Point(xy[2 * i], xy[2 * i + 1]);
        cv::Mat m = wrap(image);
        cv::fillPoly(m, std::vector<std::vector<cv::Point>>{points}, scalar(color), lineType(antialiased), RCV_SHIFT);
        return RCV_OK;
    });
}

int rcv_draw_text(rcv_view image, const char *text, int x, int y, double scale, rcv_color color, int thickness, int antialiased) {
    return guarded("draw text", [&] {
        if (!validView(image, "draw text")) return RCV_ERROR;
        if (text == nullptr) throw std::invalid_argument("no text");
        cv::Mat m = wrap(image);
        cv::putText(m, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, scalar(color), thickness, lineType(antialiased));
        return RCV_OK;
    });
}

int rcv_text_size(const char *text, double scale, int thickness, int *width, int *height, int *baseline) {
    return guarded("measure text", [&] {
        if (text == nullptr) throw std::invalid_argument("no text");
        int base = 0;
        cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &base);
        if (width) *width = size.width;
        if (height) *height = size.height;
        if (baseline) *baseline = base;
        return RCV_OK;
    });
}

} // extern "C"

// A small C API over the OpenCV calls Reflex uses (owned by the vision work; see Sources/Vision).
//
// Conventions: images are 8-bit, row-major and contiguous, 1 channel (gray) or 3 channels (BGR
// interleaved), described by `rcv_view`. Functions return RCV_OK (0) on success and RCV_ERROR (-1) on
// failure; a failing function leaves a message for this thread in `rcv_last_error()`. Every OpenCV
// exception is caught inside the shim: nothing here aborts the process. Handles are opaque.
#ifndef REFLEX_COPENCV_H
#define REFLEX_COPENCV_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define RCV_OK 0
#define RCV_ERROR (-1)
#define RCV_END 1

/// An image buffer owned by the caller: `height` rows of `width * channels` bytes, no padding.
typedef struct rcv_view {
    uint8_t *data;
    int width;
    int height;
    int channels;
} rcv_view;

/// The OpenCV version string this shim was built against ("4.6.0").
const char *rcv_version(void);
/// The message of this thread's last failure ("" if none). Valid until the next shim call on this thread.
const char *rcv_last_error(void);

// MARK: capture

typedef struct rcv_capture rcv_capture;

/// Capture backends (OpenCV's `cv::VideoCaptureAPIs`, the few we use).
#define RCV_API_ANY 0
#define RCV_API_V4L2 200
#define RCV_API_FFMPEG 1900
#define RCV_API_IMAGES 2000

/// Opens camera `index` (/dev/video<index>) or a path (device, video file, or an image-sequence pattern such
/// as "frames/%04d.png"). NULL on failure (see rcv_last_error).
rcv_capture *rcv_capture_open_index(int index, int api);
rcv_capture *rcv_capture_open_path(const char *path, int api);
/// Asks for a frame size and rate (0 leaves one as it is). The device may pick the nearest it supports.
int rcv_capture_configure(rcv_capture *capture, int width, int height, double fps);
/// What the backend reports: frame size, frames per second, and frame count (files; <= 0 when unknown).
int rcv_capture_properties(rcv_capture *capture, int *width, int *height, double *fps, double *frame_count);
/// Reads the next frame into the capture's own buffer and reports its size. RCV_OK, RCV_END at the end of
/// the stream, RCV_ERROR on failure.
int rcv_capture_read(rcv_capture *capture, int *width, int *height);
/// Copies the frame last read into `dst` (same width and height), converting to dst.channels (1 or 3).
int rcv_capture_retrieve(rcv_capture *capture, rcv_view dst);
void rcv_capture_release(rcv_capture *capture);

/// Checks that `path` is a video4linux capture device that is free to stream: opens it, asks VIDIOC_QUERYCAP
/// and briefly requests buffers. Returns 0 or the errno of the step that failed; `step` names it
/// ("open", "querycap", "capture", "reqbufs"); `card` receives the device's name.
int rcv_v4l2_probe(const char *path, char *card, size_t card_capacity, const char **step);

// MARK: writing video

typedef struct rcv_writer rcv_writer;

/// Opens a video file writer with the four-character codec `fourcc` ("mp4v", "avc1", "MJPG").
/// NULL when OpenCV cannot open that container/codec (see rcv_last_error).
rcv_writer *rcv_writer_open(const char *path, const char *fourcc, double fps, int width, int height, int is_color);
/// Appends one frame; its size and channel count must be the writer's.
int rcv_writer_write(rcv_writer *writer, rcv_view frame);
/// Finishes the file and frees the writer.
void rcv_writer_release(rcv_writer *writer);

// MARK: image files

typedef struct rcv_image rcv_image;

/// Reads an image file (PNG, JPEG, …) as 8-bit gray or BGR (alpha dropped, 16-bit scaled to 8).
rcv_image *rcv_imread(const char *path, int *width, int *height, int *channels);
/// Copies a read image into `dst` (same size), converting to dst.channels (1 or 3).
int rcv_image_copy(const rcv_image *image, rcv_view dst);
void rcv_image_release(rcv_image *image);
/// Writes an image file; the format follows the extension (".png" is lossless).
int rcv_imwrite(const char *path, rcv_view image);

// MARK: image processing

#define RCV_INTER_NEAREST 0
#define RCV_INTER_LINEAR 1
#define RCV_INTER_AREA 3
/// Resizes `src` into `dst` (same channel count) with the given interpolation.
int rcv_resize(rcv_view src, rcv_view dst, int interpolation);
/// Converts between BGR (3) and gray (1) per the views' channel counts (same size).
int rcv_convert_color(rcv_view src, rcv_view dst);

// MARK: drawing (in place; shapes are clipped to the image)

/// Colours are given as blue, green, red (a gray image uses the first).
typedef struct rcv_color {
    double b, g, r;
} rcv_color;

/// Point coordinates are fixed point with `RCV_SHIFT` fractional bits (sub-pixel accuracy).
#define RCV_SHIFT 4
/// thickness < 0 fills (rectangle, circle). antialiased != 0 uses OpenCV's LINE_AA.
int rcv_draw_line(rcv_view image, int x0, int y0, int x1, int y1, rcv_color color, int thickness, int antialiased);
int rcv_draw_rectangle(rcv_view image, int x0, int y0, int x1, int y1, rcv_color color, int thickness, int antialiased);
int rcv_draw_circle(rcv_view image, int cx, int cy, int radius, rcv_color color, int thickness, int antialiased);
/// Fills the polygon with `count` vertices (xy pairs, fixed point).
int rcv_fill_polygon(rcv_view image, const int *xy, int count, rcv_color color, int antialiased);
/// Draws `text` (ASCII, Hershey simplex font) with its baseline's left end at (x, y) in whole pixels.
int rcv_draw_text(rcv_view image, const char *text, int x, int y, double scale, rcv_color color, int thickness, int antialiased);
/// Size of `text` as drawn by rcv_draw_text: width, height above the baseline, and the descent below it.
int rcv_text_size(const char *text, double scale, int thickness, int *width, int *height, int *baseline);

#ifdef __cplusplus
}
#endif
#endif

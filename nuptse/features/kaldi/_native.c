/*
 * Three fused loops of the Kaldi layers' short path (nuptse/features/kaldi/fastpath.py).
 *
 * Each replaces two to eight torch calls with one pass over the data and
 * gives the same bits: the arithmetic is the torch ops' own (a subtraction
 * with a scale is one fused multiply-add, as in torch's CPU kernels; squares
 * and sums are rounded one by one), and this file is compiled without
 * floating-point contraction (-ffp-contract=off), so that the compiler fuses
 * nothing else.  nuptse/features/kaldi/native.py checks the bits against torch
 * once per process before it uses them, and falls back to torch otherwise.
 *
 * The functions take addresses and strides (in elements) of tensors that
 * the caller owns and keeps alive, and release the GIL while they run.
 *
 * Rows are shared between `threads` threads through the OpenMP runtime
 * that torch has already loaded (its GOMP_parallel, found at import time),
 * so that the loops run on torch's own intra-op threads, as the torch ops
 * they replace do, and start no threads of their own.  Where no such
 * runtime is loaded, they run in the calling thread.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#if !defined(_WIN32)
#include <dlfcn.h>
#endif

/* One build for any x86-64, with a second copy of each loop for AVX2 + FMA
 * CPUs (x86-64-v3) picked at load time.  GCC 12 and newer. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define NUPTSE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NUPTSE_CLONES
#endif

/* power[t][k] = re[t][k]^2 + im[t][k]^2: torch's in-place square of the
 * spectrum's real view, then the sum of its real and imaginary parts. */
#define POWER(NAME, T)                                                                          \
    NUPTSE_CLONES static void NAME(const T *spec, Py_ssize_t spec_row, T *out,                 \
                                   Py_ssize_t out_row, Py_ssize_t rows, Py_ssize_t bins) {     \
        for (Py_ssize_t t = 0; t < rows; t++) {                                                 \
            const T *z = spec + t * spec_row;                                                   \
            T *p = out + t * out_row;                                                           \
            for (Py_ssize_t k = 0; k < bins; k++) {                                             \
                T re = z[2 * k] * z[2 * k];                                                     \
                T im = z[2 * k + 1] * z[2 * k + 1];                                             \
                p[k] = re + im;                                                                 \
            }                                                                                   \
        }                                                                                       \
    }
POWER(power_f32, float)
POWER(power_f64, double)

/* body[t][j] = (frame[t][j] - scale * offset[t]) * window[j]: torch.sub with
 * alpha (one fused multiply-add), then the window; without an offset, the
 * product alone. Frame t starts at frames + t * frame_row. */
#define BODY(NAME, T, FMA)                                                                      \
    NUPTSE_CLONES static void NAME(const T *frames, Py_ssize_t frame_row, const T *offset,     \
                                   Py_ssize_t offset_step, T neg_scale, const T *window,       \
                                   T *out, Py_ssize_t out_row, Py_ssize_t rows,                \
                                   Py_ssize_t length) {                                        \
        for (Py_ssize_t t = 0; t < rows; t++) {                                                 \
            const T *s = frames + t * frame_row;                                                \
            T *o = out + t * out_row;                                                           \
            if (offset != NULL) {                                                               \
                T m = offset[t * offset_step];                                                  \
                for (Py_ssize_t j = 0; j < length; j++) o[j] = FMA(m, neg_scale, s[j]) * window[j]; \
            } else {                                                                            \
                for (Py_ssize_t j = 0; j < length; j++) o[j] = s[j] * window[j];                \
            }                                                                                   \
        }                                                                                       \
    }
BODY(body_f32, float, fmaf)
BODY(body_f64, double, fma)

/* Kaldi's reflection of position p of a signal of n samples (one reflection:
 * the caller checks that p lies in [-n, 2n)). */
static inline Py_ssize_t reflect(Py_ssize_t p, Py_ssize_t n) {
    return p < 0 ? -1 - p : (p >= n ? 2 * n - 1 - p : p);
}

/* For i in [first, last): seg[i] = x[reflect(i - left)] and (with emph)
 * emph[i] = seg[i] - c * seg[i - 1], seg[-1] being 0 (torch.sub with alpha:
 * one fused multiply-add). x has n samples, `step` apart. */
#define REFLECT_EMPH(NAME, T, FMA)                                                           \
    NUPTSE_CLONES static void NAME(const T *x, Py_ssize_t step, Py_ssize_t n, Py_ssize_t left, \
                                   T neg_c, T *seg, T *emph, Py_ssize_t first,                 \
                                   Py_ssize_t last) {                                          \
        T prev = first > 0 ? x[reflect(first - 1 - left, n) * step] : (T)0;                    \
        Py_ssize_t i = first;                                                                  \
        /* the reflected start, the signal itself, the reflected end */                       \
        Py_ssize_t a = left < last ? left : last, b = left + n < last ? left + n : last;       \
        for (; i < a; i++) {                                                                   \
            T s = x[(left - 1 - i) * step];                                                    \
            seg[i] = s;                                                                        \
            if (emph != NULL) emph[i] = FMA(prev, neg_c, s);                                   \
            prev = s;                                                                          \
        }                                                                                      \
        if (i < b) {                                                                           \
            const T *src = x + (i - left) * step;                                              \
            Py_ssize_t count = b - i;                                                          \
            if (step == 1) {                                                                   \
                for (Py_ssize_t k = 0; k < count; k++) seg[i + k] = src[k];                    \
                if (emph != NULL) {                                                            \
                    emph[i] = FMA(prev, neg_c, src[0]);                                        \
                    for (Py_ssize_t k = 1; k < count; k++)                                     \
                        emph[i + k] = FMA(src[k - 1], neg_c, src[k]);                          \
                }                                                                              \
            } else {                                                                           \
                for (Py_ssize_t k = 0; k < count; k++) {                                       \
                    T v = src[k * step];                                                       \
                    seg[i + k] = v;                                                            \
                    if (emph != NULL) emph[i + k] = FMA(prev, neg_c, v);                       \
                    prev = v;                                                                  \
                }                                                                              \
            }                                                                                  \
            prev = seg[b - 1];                                                                 \
            i = b;                                                                             \
        }                                                                                      \
        for (; i < last; i++) {                                                                \
            T s = x[(2 * n - 1 - (i - left)) * step];                                          \
            seg[i] = s;                                                                        \
            if (emph != NULL) emph[i] = FMA(prev, neg_c, s);                                   \
            prev = s;                                                                          \
        }                                                                                      \
    }
REFLECT_EMPH(reflect_emph_f32, float, fmaf)
REFLECT_EMPH(reflect_emph_f64, double, fma)

/* ---- sharing rows between threads */

typedef void (*gomp_parallel_t)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*omp_int_t)(void);
static gomp_parallel_t gomp_parallel = NULL;
static omp_int_t omp_thread_num = NULL;
static omp_int_t omp_num_threads = NULL;

/* Fewer rows (frames) or samples than these per thread are not worth a
 * parallel region. */
#define MIN_ROWS_PER_THREAD 32
#define MIN_SAMPLES_PER_THREAD 16384

typedef struct {
    int kind; /* 0 power, 1 body, 2 reflect_emph */
    Py_ssize_t min_share;
    int is_double;
    const void *src;
    Py_ssize_t src_row;
    const void *offset;
    Py_ssize_t offset_step;
    double neg_scale;
    const void *window;
    void *out;
    Py_ssize_t out_row;
    Py_ssize_t rows;
    Py_ssize_t width;
    void *out2;          /* reflect_emph: emph (or NULL) */
    Py_ssize_t n, left;  /* reflect_emph: signal length, reflected samples before it */
} job_t;

static void run_rows(const job_t *j, Py_ssize_t first, Py_ssize_t count) {
    if (count <= 0) return;
    if (j->kind == 2) {
        if (j->is_double)
            reflect_emph_f64((const double *)j->src, j->src_row, j->n, j->left, j->neg_scale,
                             (double *)j->out, (double *)j->out2, first, first + count);
        else
            reflect_emph_f32((const float *)j->src, j->src_row, j->n, j->left,
                             (float)j->neg_scale, (float *)j->out, (float *)j->out2, first,
                             first + count);
        return;
    }
    size_t el = j->is_double ? sizeof(double) : sizeof(float);
    const char *src = (const char *)j->src + (size_t)(first * j->src_row) * el;
    char *out = (char *)j->out + (size_t)(first * j->out_row) * el;
    if (j->kind == 0) {
        if (j->is_double)
            power_f64((const double *)src, j->src_row, (double *)out, j->out_row, count, j->width);
        else
            power_f32((const float *)src, j->src_row, (float *)out, j->out_row, count, j->width);
    } else {
        const char *off = j->offset == NULL
                              ? NULL
                              : (const char *)j->offset + (size_t)(first * j->offset_step) * el;
        if (j->is_double)
            body_f64((const double *)src, j->src_row, (const double *)off, j->offset_step,
                     j->neg_scale, (const double *)j->window, (double *)out, j->out_row, count,
                     j->width);
        else
            body_f32((const float *)src, j->src_row, (const float *)off, j->offset_step,
                     (float)j->neg_scale, (const float *)j->window, (float *)out, j->out_row,
                     count, j->width);
    }
}

static void run_share(void *arg) {
    const job_t *j = (const job_t *)arg;
    Py_ssize_t n = omp_num_threads(), i = omp_thread_num();
    Py_ssize_t first = j->rows * i / n, last = j->rows * (i + 1) / n;
    run_rows(j, first, last - first);
}

static void run(const job_t *j, Py_ssize_t threads) {
    Py_ssize_t most = j->rows / j->min_share;
    if (threads > most) threads = most;
    if (threads > 1 && gomp_parallel != NULL)
        gomp_parallel(run_share, (void *)j, (unsigned)threads, 0);
    else
        run_rows(j, 0, j->rows);
}

/* power(spec, spec_row, out, out_row, rows, bins, is_double, threads) */
static PyObject *py_power(PyObject *self, PyObject *args) {
    Py_ssize_t spec, out, threads;
    job_t j = {0};
    j.kind = 0;
    j.min_share = MIN_ROWS_PER_THREAD;
    if (!PyArg_ParseTuple(args, "nnnnnnpn", &spec, &j.src_row, &out, &j.out_row, &j.rows,
                          &j.width, &j.is_double, &threads))
        return NULL;
    j.src = (const void *)spec;
    j.out = (void *)out;
    Py_BEGIN_ALLOW_THREADS
    run(&j, threads);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* body(frames, frame_row, offset or 0, offset_step, neg_scale, window, out, out_row,
 *      rows, length, is_double, threads) */
static PyObject *py_body(PyObject *self, PyObject *args) {
    Py_ssize_t frames, offset, window, out, threads;
    job_t j = {0};
    j.kind = 1;
    j.min_share = MIN_ROWS_PER_THREAD;
    if (!PyArg_ParseTuple(args, "nnnndnnnnnpn", &frames, &j.src_row, &offset, &j.offset_step,
                          &j.neg_scale, &window, &out, &j.out_row, &j.rows, &j.width,
                          &j.is_double, &threads))
        return NULL;
    j.src = (const void *)frames;
    j.offset = (const void *)offset;
    j.window = (const void *)window;
    j.out = (void *)out;
    Py_BEGIN_ALLOW_THREADS
    run(&j, threads);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* reflect_emph(x, step, n, left, samples, neg_c, seg, emph or 0, is_double, threads) */
static PyObject *py_reflect_emph(PyObject *self, PyObject *args) {
    Py_ssize_t x, seg, emph, threads;
    job_t j = {0};
    j.kind = 2;
    j.min_share = MIN_SAMPLES_PER_THREAD;
    if (!PyArg_ParseTuple(args, "nnnnndnnpn", &x, &j.src_row, &j.n, &j.left, &j.rows,
                          &j.neg_scale, &seg, &emph, &j.is_double, &threads))
        return NULL;
    if (j.n < 1 || j.left < 0 || j.left > j.n || j.rows - j.left - j.n > j.n) {
        PyErr_SetString(PyExc_ValueError, "reflect_emph: more than one reflection");
        return NULL;
    }
    j.src = (const void *)x;
    j.out = (void *)seg;
    j.out2 = (void *)emph;
    Py_BEGIN_ALLOW_THREADS
    run(&j, threads);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* threaded(): whether an OpenMP runtime was found to share rows with. */
static PyObject *py_threaded(PyObject *self, PyObject *unused) {
    return PyBool_FromLong(gomp_parallel != NULL);
}

static PyMethodDef methods[] = {
    {"power", py_power, METH_VARARGS, "Power spectrum rows from complex spectrum rows."},
    {"body", py_body, METH_VARARGS, "Windowed, offset-removed frame bodies."},
    {"reflect_emph", py_reflect_emph, METH_VARARGS, "Reflected signal and its pre-emphasis."},
    {"threaded", py_threaded, METH_NOARGS, "Whether rows are shared between OpenMP threads."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native",
    "Fused loops of the Kaldi layers' short path (see native.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) {
#if !defined(_WIN32)
    /* The runtime torch loaded (libgomp, or LLVM's libomp with its GOMP entry
     * points); all three or none. */
    gomp_parallel = (gomp_parallel_t)dlsym(RTLD_DEFAULT, "GOMP_parallel");
    omp_thread_num = (omp_int_t)dlsym(RTLD_DEFAULT, "omp_get_thread_num");
    omp_num_threads = (omp_int_t)dlsym(RTLD_DEFAULT, "omp_get_num_threads");
    if (omp_thread_num == NULL || omp_num_threads == NULL) gomp_parallel = NULL;
#endif
    return PyModule_Create(&module);
}

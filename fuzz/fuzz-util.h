/* fuzz-util.h: what every fuzz target shares: the libFuzzer entry points,
 * quiet logs, turning the input into exactly-sized C strings, and the check
 * that turns a broken property into a crash libFuzzer records. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The entry points libFuzzer calls (declared here for -Wmissing-prototypes).
 * LLVMFuzzerInitialize is fuzz-util.c's: it calls fuzz_quiet_logs(). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer keeps an input out of the corpus when the target returns this. */
#define FUZZ_REJECT (-1)

/* Point the stdio stream stderr at /dev/null, so that the backend's log
 * lines do not drown libFuzzer's output; the sanitizers and FUZZ_CHECK write
 * to file descriptor 2, which stays open. QXD_FUZZ_LOGS=1 keeps the logs
 * (for reproducing a crash). */
void fuzz_quiet_logs(void);

/* A malloc'ed copy of DATA with a NUL after its SIZE bytes and nothing more,
 * so that reading past the string's end is a heap overflow ASan reports.
 * NULL when DATA holds a NUL itself (such input is not a C string). */
char *fuzz_string(const uint8_t *data, size_t size);

/* SIZE bytes of heap filled with a canary, so that both an out-of-bounds
 * write (ASan) and an unexpected write inside the buffer can be seen. */
#define FUZZ_CANARY 0xa5
unsigned char *fuzz_buffer(size_t size);
bool fuzz_buffer_untouched(const unsigned char *buf, size_t size);

/* For SIZE 0 fuzz_buffer() still holds one canary byte, which ASan does not
 * guard: this checks that nothing was written to it. */
#define FUZZ_CHECK_SIZE_ZERO(buf, size)                                                 \
        FUZZ_CHECK((size) != 0 || fuzz_buffer_untouched((buf), 1), "wrote into a buffer of size 0")

/* Report a broken property on fd 2, with the input in hex, and abort(): the
 * input is then saved as a crash artifact. */
void fuzz_fail(const char *file, int line, const char *condition, const char *format, ...)
        __attribute__((format(printf, 4, 5), noreturn));

#define FUZZ_CHECK(condition, ...)                                                      \
        do {                                                                            \
                if (!(condition))                                                       \
                        fuzz_fail(__FILE__, __LINE__, #condition, __VA_ARGS__);         \
        } while (0)

/* The input as the current case began (set by fuzz_begin), shown by fuzz_fail. */
void fuzz_begin(const uint8_t *data, size_t size);

/* Length of the UTF-8 sequence at S as sanitize.h's functions take it: a
 * lead byte and its continuation bytes, not overlong, not a surrogate, at
 * most U+10FFFF. 0 when S does not start such a sequence (nor a byte below
 * 0x80, which is 1). With UDEV_RULES, also as systemd's
 * utf8_encoded_valid_unichar(): U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF are
 * not characters. Written apart from sanitize.c, as an oracle. */
size_t fuzz_utf8_length(const unsigned char *s, bool udev_rules);

/* Bytes udev's _ENC values and plain values keep: [A-Za-z0-9#+-.:=@_]. */
bool fuzz_is_udev_plain(unsigned char c);

/* QubesDB's wire, written apart from backend/qdb-wire.c and the test
 * server, as an oracle: a header of FUZZ_QDB_HDR bytes, and paths of fewer
 * than FUZZ_QDB_PATH_MAX bytes, '/' first, from [A-Za-z0-9_/.:@-]. */
#define FUZZ_QDB_HDR 72
#define FUZZ_QDB_PATH_MAX 64
bool fuzz_qdb_path_valid(const char *p);

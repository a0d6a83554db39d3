/* espy-ota-client.c: ESPHome's native OTA protocol, client side.
 *
 * One upload is a chain of async steps on the caller's main context. Every
 * step that waits for the device arms a watchdog; when it fires it cancels the
 * attempt and the failure reads "timed out during <stage>". The data phase
 * keeps up to `window` blocks of 8192 bytes unacknowledged while a reader
 * counts the device's 0x47 acks as they arrive, so the link's round trip is
 * paid once per window instead of once per block.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-ota-client.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "espy-ota-error.h"
#include "espy-ota-protocol.h"
#include "espy-secret-string.h"

struct _EspyOtaClient
{
  GObject parent_instance;

  char *host;
  guint16 port;
  char *password;
  guint window;
  guint handshake_timeout_ms;
  guint data_timeout_ms;
  guint retries;
  guint retry_delay_ms;
  guint8 features;

  gboolean busy;
  EspyOtaStage stage;
  EspyOtaStage failed_stage;
  int device_code;
  guint protocol_version;
  gboolean compressed;
  const char *auth_method;
  guint64 bytes_sent;
  guint64 bytes_acked;
  guint64 total;
  gint64 data_started_us;
  gint64 data_last_us;
};

G_DEFINE_FINAL_TYPE (EspyOtaClient, espy_ota_client, G_TYPE_OBJECT)

enum {
  SIGNAL_STAGE_CHANGED,
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What the data-phase reader expects next. */
typedef enum {
  EXPECT_ACKS,
  EXPECT_RECEIVE_OK,
  EXPECT_END_OK,
  EXPECT_NOTHING,
} Expect;

typedef struct
{
  EspyOtaClient *self;              /* owned by the task, borrowed here */
  EspyFirmwareImage *image;         /* NULL for a check */
  gboolean check_only;
  guint attempt;

  GSocketConnection *connection;
  GInputStream *input;
  GOutputStream *output;
  GCancellable *attempt_cancellable; /* cancelled by the user's one, or by the watchdog */
  gulong user_cancel_id;
  guint watchdog_id;
  guint watchdog_ms;
  gboolean timed_out;
  gint64 handshake_deadline_us;
  guint retry_source_id;

  /* Handshake */
  guint8 auth_byte;
  EspyOtaHash hash;
  char nonce[65];
  gboolean device_compresses;
  gboolean compression_pending;
  GBytes *payload;
  GError *compression_error;

  /* Data phase */
  const guint8 *data;
  gsize size;
  gsize offset;             /* bytes handed to the socket so far */
  guint blocks_written;
  guint acks_expected;
  guint acks;
  gboolean writing;
  gboolean write_done;
  Expect expect;
  guint8 read_buf[64];
  gboolean reading;
  GError *write_error;      /* held until the reader has had a chance to see the device's byte */
  guint write_error_grace_id;
  gboolean end_ack_due;
  gboolean finished;
} Upload;

static void upload_free (gpointer data);
static void attempt_start (GTask *task);
static void fail (GTask *task, GError *error);

/* --- stages --------------------------------------------------------------- */

const char *
espy_ota_stage_to_nick (EspyOtaStage stage)
{
  switch (stage)
    {
    case ESPY_OTA_STAGE_IDLE: return "idle";
    case ESPY_OTA_STAGE_CONNECT: return "connect";
    case ESPY_OTA_STAGE_HANDSHAKE: return "handshake";
    case ESPY_OTA_STAGE_AUTH: return "auth";
    case ESPY_OTA_STAGE_PREPARE: return "prepare";
    case ESPY_OTA_STAGE_UPLOAD: return "upload";
    case ESPY_OTA_STAGE_VERIFY: return "verify";
    case ESPY_OTA_STAGE_REBOOT: return "reboot";
    case ESPY_OTA_STAGE_DONE: return "done";
    default: return "unknown";
    }
}

const char *
espy_ota_stage_describe (EspyOtaStage stage)
{
  switch (stage)
    {
    case ESPY_OTA_STAGE_IDLE: return _("Waiting");
    case ESPY_OTA_STAGE_CONNECT: return _("Connecting");
    case ESPY_OTA_STAGE_HANDSHAKE: return _("Greeting the device");
    case ESPY_OTA_STAGE_AUTH: return _("Checking the password");
    case ESPY_OTA_STAGE_PREPARE: return _("Preparing the flash memory");
    case ESPY_OTA_STAGE_UPLOAD: return _("Uploading");
    case ESPY_OTA_STAGE_VERIFY: return _("Verifying on the device");
    case ESPY_OTA_STAGE_REBOOT: return _("Rebooting");
    case ESPY_OTA_STAGE_DONE: return _("Done");
    default: return "";
    }
}

static void
set_stage (EspyOtaClient *self,
           EspyOtaStage   stage)
{
  if (self->stage == stage)
    return;
  self->stage = stage;
  g_signal_emit (self, signals[SIGNAL_STAGE_CHANGED], 0, (guint) stage);
}

static void
emit_progress (EspyOtaClient *self)
{
  self->data_last_us = g_get_monotonic_time ();
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0,
                 self->bytes_sent, self->bytes_acked, self->total);
}

/* --- errors --------------------------------------------------------------- */

/* The GError for a failure the client detected itself, named with its stage. */
static GError *
stage_error (EspyOtaClient *self,
             EspyOtaError   code,
             const char    *detail)
{
  const char *stage = espy_ota_stage_describe (self->stage);

  if (detail != NULL)
    return g_error_new (ESPY_OTA_ERROR, code, "%s (%s: %s)",
                        espy_ota_error_describe (code), stage, detail);
  return g_error_new (ESPY_OTA_ERROR, code, "%s (%s)",
                      espy_ota_error_describe (code), stage);
}

static GError *
device_error (EspyOtaClient *self,
              guint8         byte)
{
  EspyOtaError code = espy_ota_error_from_response (byte);

  self->device_code = byte;
  return g_error_new (ESPY_OTA_ERROR, code, _("%s (%s: the device answered 0x%02X)"),
                      espy_ota_error_describe (code),
                      espy_ota_stage_describe (self->stage), byte);
}

/* A byte that is not what this step allows: device errors get their own code,
 * anything else (including 0x00, never a success here) is unexpected. */
static GError *
unexpected_byte (EspyOtaClient *self,
                 guint8         byte,
                 const char    *wanted)
{
  g_autofree char *detail = NULL;

  if (espy_ota_response_is_error (byte))
    return device_error (self, byte);

  self->device_code = byte;
  if (byte == 0x00)
    /* Once the flash is prepared, 0x00 is the device's pending error code:
     * it timed out or lost the stream and is giving up. */
    detail = g_strdup_printf (_("the device gave up and answered 0x00 where %s was expected"), wanted);
  else
    detail = g_strdup_printf (_("the device answered 0x%02X where %s was expected"), byte, wanted);
  return stage_error (self, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE, detail);
}

/* Translates a GIO failure of the current attempt into our codes. */
static GError *
io_error (GTask        *task,
          const GError *error)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;

  if (up->timed_out)
    {
      /* Name the stage's limit, not what was left of a shared deadline. */
      guint limit_ms = self->stage <= ESPY_OTA_STAGE_AUTH ? self->handshake_timeout_ms
                                                           : self->data_timeout_ms;
      g_autofree char *detail = limit_ms % 1000 == 0
        ? g_strdup_printf (_("no answer for %u s"), limit_ms / 1000)
        : g_strdup_printf (_("no answer for %.1f s"), limit_ms / 1000.0);
      return stage_error (self, ESPY_OTA_ERROR_TIMEOUT, detail);
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return stage_error (self, ESPY_OTA_ERROR_CONNECTION_REFUSED, error->message);
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
    return stage_error (self, ESPY_OTA_ERROR_RESOLVE, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    return stage_error (self, ESPY_OTA_ERROR_CLOSED, error->message);
  if (self->stage == ESPY_OTA_STAGE_CONNECT)
    return stage_error (self, ESPY_OTA_ERROR_UNREACHABLE, error->message);
  return stage_error (self, ESPY_OTA_ERROR_NETWORK, error->message);
}

static GError *
closed_error (EspyOtaClient *self,
              const char    *waiting_for)
{
  g_autofree char *detail = g_strdup_printf (_("closed while waiting for %s"), waiting_for);

  return stage_error (self, ESPY_OTA_ERROR_CLOSED, detail);
}

/* --- attempt plumbing ------------------------------------------------------ */

static void
watchdog_stop (Upload *up)
{
  g_clear_handle_id (&up->watchdog_id, g_source_remove);
}

static gboolean
watchdog_fired (gpointer data)
{
  Upload *up = data;

  up->watchdog_id = 0;
  up->timed_out = TRUE;
  g_cancellable_cancel (up->attempt_cancellable);
  return G_SOURCE_REMOVE;
}

/* Arms (or re-arms: progress resets it) the timeout for the current wait. */
static void
watchdog_arm (Upload *up,
              guint   ms)
{
  watchdog_stop (up);
  up->watchdog_ms = ms;
  up->watchdog_id = g_timeout_add (ms, watchdog_fired, up);
}

static void
attempt_close (Upload *up)
{
  watchdog_stop (up);
  /* Ends whatever is still pending on this attempt's streams. */
  if (up->attempt_cancellable != NULL)
    g_cancellable_cancel (up->attempt_cancellable);
  g_clear_handle_id (&up->write_error_grace_id, g_source_remove);
  if (up->connection != NULL)
    {
      /* Closing synchronously is fine: the socket is non-blocking and the
       * kernel drains what is left. */
      g_io_stream_close (G_IO_STREAM (up->connection), NULL, NULL);
      g_clear_object (&up->connection);
    }
  up->input = NULL;
  up->output = NULL;
}

static void
on_user_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  Upload *up = data;

  g_cancellable_cancel (up->attempt_cancellable);
}

static void
upload_free (gpointer data)
{
  Upload *up = data;

  attempt_close (up);
  g_clear_handle_id (&up->retry_source_id, g_source_remove);
  g_clear_object (&up->attempt_cancellable);
  g_clear_object (&up->image);
  g_clear_pointer (&up->payload, g_bytes_unref);
  g_clear_error (&up->compression_error);
  g_clear_error (&up->write_error);
  g_free (up);
}

static void
finish_task (GTask  *task,
             GError *error)
{
  Upload *up = g_task_get_task_data (task);
  GCancellable *user_cancellable = g_task_get_cancellable (task);

  if (up->finished)
    {
      g_clear_error (&error);
      return;
    }
  up->finished = TRUE;
  attempt_close (up);
  if (user_cancellable != NULL && up->user_cancel_id != 0)
    {
      g_cancellable_disconnect (user_cancellable, up->user_cancel_id);
      up->user_cancel_id = 0;
    }
  up->self->busy = FALSE;

  if (error != NULL)
    {
      up->self->failed_stage = up->self->stage;
      g_task_return_error (task, error);
    }
  else
    {
      set_stage (up->self, ESPY_OTA_STAGE_DONE);
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

static gboolean
retry_cb (gpointer data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);

  up->retry_source_id = 0;
  attempt_start (task);
  return G_SOURCE_REMOVE;
}

/* Network trouble before any data went out is worth another try, as the
 * reference client does; a device's error byte or a sent image never is. */
static gboolean
error_is_retryable (Upload       *up,
                    const GError *error)
{
  if (error->domain != ESPY_OTA_ERROR)
    return FALSE;
  if (up->self->stage >= ESPY_OTA_STAGE_UPLOAD)
    return FALSE;
  return espy_ota_error_is_network (error->code);
}

static void
fail (GTask  *task,
      GError *error)
{
  Upload *up = g_task_get_task_data (task);

  if (up->finished)
    {
      g_error_free (error);
      return;
    }

  attempt_close (up);
  if (up->attempt < up->self->retries && error_is_retryable (up, error) &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_debug ("OTA attempt %u failed, retrying: %s", up->attempt + 1, error->message);
      g_error_free (error);
      up->attempt++;
      up->retry_source_id = g_timeout_add (up->self->retry_delay_ms, retry_cb, task);
      return;
    }
  finish_task (task, error);
}

static void
fail_io (GTask        *task,
         const GError *error)
{
  fail (task, io_error (task, error));
}

/* TRUE if an async step of this attempt may go on; stale callbacks of an
 * attempt that already failed (or was retried) stop here. */
static gboolean
attempt_alive (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  return !up->finished && up->connection != NULL;
}

static void
set_tcp_nodelay (Upload   *up,
                 gboolean  on)
{
  GSocket *socket = g_socket_connection_get_socket (up->connection);

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, NULL);
}

/* --- step helpers: write, then read an exact reply -------------------------- */

typedef void (*ReplyHandler) (GTask *task, const guint8 *reply, gsize len);

typedef struct
{
  GTask *task;
  guint8 *buf;
  gsize len;
  ReplyHandler handler;
  const char *waiting_for;
  GCancellable *cancellable;
} ReadOp;

static void
read_op_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  ReadOp *op = data;
  GTask *task = op->task;
  gsize n = 0;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error);
  Upload *up = g_task_get_task_data (task);

  if (op->cancellable != up->attempt_cancellable || !attempt_alive (task))
    {
      /* A stale read of an attempt that already failed or was retried. */
    }
  else if (!ok)
    fail_io (task, error);
  else if (n > 0 && n < op->len && espy_ota_response_is_error (op->buf[0]))
    fail (task, device_error (up->self, op->buf[0]));
  else if (n < op->len)
    fail (task, closed_error (up->self, op->waiting_for));
  else
    {
      watchdog_stop (up);
      op->handler (task, op->buf, op->len);
    }

  g_object_unref (op->cancellable);
  g_free (op->buf);
  g_free (op);
  g_object_unref (task);
}

/* Reads exactly LEN bytes within TIMEOUT_MS, then calls HANDLER. */
static void
read_reply (GTask        *task,
            gsize         len,
            guint         timeout_ms,
            const char   *waiting_for,
            ReplyHandler  handler)
{
  Upload *up = g_task_get_task_data (task);
  ReadOp *op = g_new0 (ReadOp, 1);

  op->task = g_object_ref (task);
  op->buf = g_malloc (len);
  op->len = len;
  op->handler = handler;
  op->waiting_for = waiting_for;
  op->cancellable = g_object_ref (up->attempt_cancellable);
  watchdog_arm (up, timeout_ms);
  g_input_stream_read_all_async (up->input, op->buf, len, G_PRIORITY_DEFAULT,
                                 op->cancellable, read_op_done, op);
}

typedef struct
{
  GTask *task;
  GBytes *bytes;
  GCancellable *cancellable;
  void (*then) (GTask *task);
} WriteOp;

static void
write_op_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  WriteOp *op = data;
  GTask *task = op->task;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  Upload *up = g_task_get_task_data (task);

  if (op->cancellable != up->attempt_cancellable || !attempt_alive (task))
    {
    }
  else if (!ok)
    fail_io (task, error);
  else if (op->then != NULL)
    op->then (task);

  g_object_unref (op->cancellable);
  g_bytes_unref (op->bytes);
  g_free (op);
  g_object_unref (task);
}

/* Writes BYTES (taking them), then calls THEN (may be NULL when a read is
 * already waiting for the answer). */
static void
write_bytes (GTask   *task,
             GBytes  *bytes,
             void   (*then) (GTask *task))
{
  Upload *up = g_task_get_task_data (task);
  WriteOp *op = g_new0 (WriteOp, 1);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  op->task = g_object_ref (task);
  op->bytes = bytes;
  op->then = then;
  op->cancellable = g_object_ref (up->attempt_cancellable);
  g_output_stream_write_all_async (up->output, data, len, G_PRIORITY_DEFAULT,
                                   op->cancellable, write_op_done, op);
}

/* Connect and handshake share one deadline, as on the device. */
static guint
handshake_remaining_ms (Upload *up)
{
  gint64 left_us = up->handshake_deadline_us - g_get_monotonic_time ();

  return left_us > 1000 ? (guint) (left_us / 1000) : 1;
}

/* --- the exchange ---------------------------------------------------------- */

static void send_size (GTask *task);
static void data_phase_start (GTask *task);

static void
on_compressed (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  g_autoptr(GBytes) gz = espy_firmware_image_compress_finish (ESPY_FIRMWARE_IMAGE (source), result,
                                                              &up->compression_error);

  up->compression_pending = FALSE;
  g_clear_pointer (&up->payload, g_bytes_unref);
  if (gz != NULL)
    up->payload = g_bytes_ref (gz);

  /* The auth step finished first and is waiting for us. */
  if (up->self->stage == ESPY_OTA_STAGE_PREPARE && attempt_alive (task))
    send_size (task);
  g_object_unref (task);
}

static void
auth_done (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  if (up->check_only)
    {
      finish_task (task, NULL);
      return;
    }
  set_stage (up->self, ESPY_OTA_STAGE_PREPARE);
  if (!up->compression_pending)
    send_size (task);
}

static void
on_auth_result (GTask        *task,
                const guint8 *reply,
                gsize         len)
{
  Upload *up = g_task_get_task_data (task);

  if (reply[0] == ESPY_OTA_RESPONSE_AUTH_OK)
    auth_done (task);
  else if (reply[0] == ESPY_OTA_RESPONSE_ERROR_AUTH_INVALID)
    {
      up->self->device_code = reply[0];
      fail (task, stage_error (up->self, ESPY_OTA_ERROR_PASSWORD_REJECTED, NULL));
    }
  else
    fail (task, unexpected_byte (up->self, reply[0], "auth OK (0x41)"));
}

static void
after_auth_answer_sent (GTask *task)
{
  read_reply (task, 1, handshake_remaining_ms (g_task_get_task_data (task)),
              _("the password check"), on_auth_result);
}

static void
on_nonce (GTask        *task,
          const guint8 *reply,
          gsize         len)
{
  Upload *up = g_task_get_task_data (task);
  g_autofree char *cnonce = NULL;
  g_autofree char *response = NULL;
  GString *answer;

  memcpy (up->nonce, reply, len);
  up->nonce[len] = '\0';
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (up->nonce[i]))
      {
        fail (task, stage_error (up->self, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE,
                                 _("the device's challenge is not hexadecimal")));
        return;
      }

  cnonce = espy_ota_random_nonce (up->hash);
  response = espy_ota_auth_response (up->hash, up->self->password, up->nonce, cnonce);

  /* cnonce and response in one write: the 2024 device allows 1 s per read. */
  answer = g_string_new (cnonce);
  g_string_append (answer, response);
  write_bytes (task, g_string_free_to_bytes (answer), after_auth_answer_sent);
}

static void
on_auth_byte (GTask        *task,
              const guint8 *reply,
              gsize         len)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;

  switch (reply[0])
    {
    case ESPY_OTA_RESPONSE_AUTH_OK:
      self->auth_method = NULL;
      auth_done (task);
      return;

    case ESPY_OTA_RESPONSE_REQUEST_AUTH:
    case ESPY_OTA_RESPONSE_REQUEST_SHA256_AUTH:
      up->hash = reply[0] == ESPY_OTA_RESPONSE_REQUEST_AUTH ? ESPY_OTA_HASH_MD5 : ESPY_OTA_HASH_SHA256;
      self->auth_method = up->hash == ESPY_OTA_HASH_MD5 ? "md5" : "sha256";
      if (reply[0] == ESPY_OTA_RESPONSE_REQUEST_SHA256_AUTH &&
          !(self->features & ESPY_OTA_FEATURE_SHA256_AUTH))
        {
          fail (task, unexpected_byte (self, reply[0], _("an MD5 challenge")));
          return;
        }
      if (self->password == NULL)
        {
          fail (task, stage_error (self, ESPY_OTA_ERROR_PASSWORD_REQUIRED, NULL));
          return;
        }
      read_reply (task, espy_ota_hash_hex_len (up->hash), handshake_remaining_ms (up),
                  _("the password challenge"), on_nonce);
      return;

    case ESPY_OTA_RESPONSE_ERROR_AUTH_INVALID:
      /* Refused before any challenge: 2026.1+ devices with a password do this
       * to clients that cannot do SHA256. */
      self->device_code = reply[0];
      fail (task, stage_error (self, ESPY_OTA_ERROR_SHA256_REQUIRED, NULL));
      return;

    default:
      fail (task, unexpected_byte (self, reply[0], _("an authentication request")));
      return;
    }
}

static void
on_feature_answer (GTask        *task,
                   const guint8 *reply,
                   gsize         len)
{
  Upload *up = g_task_get_task_data (task);

  if (reply[0] == ESPY_OTA_RESPONSE_SUPPORTS_COMPRESSION &&
      (up->self->features & ESPY_OTA_FEATURE_COMPRESSION))
    {
      up->device_compresses = TRUE;
      /* Compress while the password exchange runs: the size must follow the
       * auth promptly (2024 devices wait 1 s). */
      if (up->image != NULL && !up->check_only)
        {
          up->compression_pending = TRUE;
          espy_firmware_image_compress_async (up->image, up->attempt_cancellable,
                                              on_compressed, g_object_ref (task));
        }
    }
  else if (reply[0] != ESPY_OTA_RESPONSE_HEADER_OK)
    {
      /* 0x48 (extended protocol) is only legal when we offered 0x04. */
      fail (task, unexpected_byte (up->self, reply[0], _("the feature answer (0x40 or 0x46)")));
      return;
    }
  /* The device sends its auth request unprompted: that wait is the auth stage. */
  set_stage (up->self, ESPY_OTA_STAGE_AUTH);
  read_reply (task, 1, handshake_remaining_ms (up), _("the authentication request"), on_auth_byte);
}

static void
after_features_sent (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  read_reply (task, 1, handshake_remaining_ms (up), _("the feature answer"), on_feature_answer);
}

static void
on_version (GTask        *task,
            const guint8 *reply,
            gsize         len)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;

  if (reply[0] != 1 && reply[0] != 2)
    {
      g_autofree char *detail = g_strdup_printf (_("version %u"), reply[0]);
      self->device_code = reply[0];
      fail (task, stage_error (self, ESPY_OTA_ERROR_UNSUPPORTED_VERSION, detail));
      return;
    }
  self->protocol_version = reply[0];
  write_bytes (task, g_bytes_new (&self->features, 1), after_features_sent);
}

/* The greeting is 00 + version, read a byte at a time so that a device that
 * answers the magic with one error byte and closes reads as that error. */
static void
on_greeting (GTask        *task,
             const guint8 *reply,
             gsize         len)
{
  Upload *up = g_task_get_task_data (task);

  if (reply[0] != ESPY_OTA_RESPONSE_OK)
    {
      fail (task, unexpected_byte (up->self, reply[0], _("the protocol greeting")));
      return;
    }
  read_reply (task, 1, handshake_remaining_ms (up), _("the protocol version"), on_version);
}

static void
after_magic_sent (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  read_reply (task, 1, handshake_remaining_ms (up), _("the protocol greeting"), on_greeting);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);

  if (up->finished)
    ;
  else if (connection == NULL)
    fail_io (task, error);
  else
    {
      up->connection = g_steal_pointer (&connection);
      up->input = g_io_stream_get_input_stream (G_IO_STREAM (up->connection));
      up->output = g_io_stream_get_output_stream (G_IO_STREAM (up->connection));
      set_tcp_nodelay (up, TRUE);
      set_stage (up->self, ESPY_OTA_STAGE_HANDSHAKE);
      write_bytes (task, g_bytes_new_static (espy_ota_magic, ESPY_OTA_MAGIC_LEN), after_magic_sent);
    }
  g_object_unref (task);
}

static void
attempt_start (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;
  GCancellable *user_cancellable = g_task_get_cancellable (task);
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  if (user_cancellable != NULL && up->user_cancel_id != 0)
    g_cancellable_disconnect (user_cancellable, up->user_cancel_id);
  up->user_cancel_id = 0;
  g_clear_object (&up->attempt_cancellable);
  up->attempt_cancellable = g_cancellable_new ();
  if (user_cancellable != NULL)
    up->user_cancel_id = g_cancellable_connect (user_cancellable, G_CALLBACK (on_user_cancelled), up, NULL);
  up->timed_out = FALSE;
  up->device_compresses = FALSE;
  up->compression_pending = FALSE;
  g_clear_pointer (&up->payload, g_bytes_unref);
  g_clear_error (&up->compression_error);

  self->stage = ESPY_OTA_STAGE_IDLE;
  self->device_code = -1;
  self->protocol_version = 0;
  self->compressed = FALSE;
  self->auth_method = NULL;
  self->bytes_sent = self->bytes_acked = self->total = 0;
  set_stage (self, ESPY_OTA_STAGE_CONNECT);

  g_socket_client_set_timeout (client, 0);
  /* Devices sit on the local network: never route them through a proxy
   * (and don't pay for a proxy lookup on every connect). */
  g_socket_client_set_enable_proxy (client, FALSE);
  up->handshake_deadline_us = g_get_monotonic_time () + (gint64) self->handshake_timeout_ms * 1000;
  watchdog_arm (up, self->handshake_timeout_ms);
  g_socket_client_connect_to_host_async (client, self->host, self->port, up->attempt_cancellable,
                                         on_connected, g_object_ref (task));
}

/* --- prepare ----------------------------------------------------------------- */

static void
on_md5_ok (GTask        *task,
           const guint8 *reply,
           gsize         len)
{
  Upload *up = g_task_get_task_data (task);

  if (reply[0] != ESPY_OTA_RESPONSE_BIN_MD5_OK)
    {
      fail (task, unexpected_byte (up->self, reply[0], "MD5 OK (0x43)"));
      return;
    }
  data_phase_start (task);
}

static void
after_md5_sent (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  read_reply (task, 1, up->self->data_timeout_ms, _("the checksum confirmation"), on_md5_ok);
}

static void
on_prepare_ok (GTask        *task,
               const guint8 *reply,
               gsize         len)
{
  Upload *up = g_task_get_task_data (task);
  g_autofree char *md5 = NULL;

  if (reply[0] != ESPY_OTA_RESPONSE_UPDATE_PREPARE_OK)
    {
      fail (task, unexpected_byte (up->self, reply[0], "prepare OK (0x42)"));
      return;
    }
  md5 = espy_md5_hex (up->payload);
  write_bytes (task, g_bytes_new (md5, 32), after_md5_sent);
}

static void
after_size_sent (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  /* The device erases flash now: slow on big images. */
  read_reply (task, 1, up->self->data_timeout_ms, _("the flash to be erased"), on_prepare_ok);
}

static void
send_size (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;
  guint8 size_be[4];
  gsize size;

  if (up->device_compresses)
    {
      if (up->payload == NULL)
        {
          GError *error = up->compression_error != NULL
            ? g_error_copy (up->compression_error)
            : g_error_new_literal (ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_COMPRESS,
                                   _("The image could not be compressed."));
          fail (task, error);
          return;
        }
      self->compressed = TRUE;
    }
  else
    up->payload = g_bytes_ref (espy_firmware_image_get_bytes (up->image));

  up->data = g_bytes_get_data (up->payload, &size);
  up->size = size;
  self->total = size;
  size_be[0] = (size >> 24) & 0xff;
  size_be[1] = (size >> 16) & 0xff;
  size_be[2] = (size >> 8) & 0xff;
  size_be[3] = size & 0xff;
  write_bytes (task, g_bytes_new (size_be, 4), after_size_sent);
}

/* --- data phase ------------------------------------------------------------- */

static void data_write_more (GTask *task);
static void data_read_more (GTask *task);

static void
end_ack_sent (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  set_stage (up->self, ESPY_OTA_STAGE_REBOOT);
  finish_task (task, NULL);
}

/* Our end acknowledgement; the device tolerates its absence. The device's
 * answers can overtake the completion of our last write, and a stream takes
 * one write at a time, so this waits for that write to finish. */
static void
send_end_ack_when_idle (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  if (!up->end_ack_due || up->writing)
    return;
  up->end_ack_due = FALSE;
  write_bytes (task, g_bytes_new_static ("\0", 1), end_ack_sent);
}

/* Handles one byte from the device during the data and verify phases. */
static gboolean
data_handle_byte (GTask  *task,
                  guint8  byte)
{
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;

  switch (up->expect)
    {
    case EXPECT_ACKS:
      if (byte != ESPY_OTA_RESPONSE_CHUNK_OK)
        {
          fail (task, unexpected_byte (self, byte, "chunk OK (0x47)"));
          return FALSE;
        }
      up->acks++;
      self->bytes_acked = MIN ((guint64) up->acks * ESPY_OTA_BLOCK_SIZE, (guint64) up->size);
      /* The ack can overtake our own write callback. */
      self->bytes_sent = MAX (self->bytes_sent, self->bytes_acked);
      emit_progress (self);
      if (up->acks == up->acks_expected)
        {
          up->expect = EXPECT_RECEIVE_OK;
          set_stage (self, ESPY_OTA_STAGE_VERIFY);
        }
      else if (!up->writing)
        data_write_more (task);
      return TRUE;

    case EXPECT_RECEIVE_OK:
      if (byte != ESPY_OTA_RESPONSE_RECEIVE_OK)
        {
          fail (task, unexpected_byte (self, byte, "receive OK (0x44)"));
          return FALSE;
        }
      up->expect = EXPECT_END_OK;
      return TRUE;

    case EXPECT_END_OK:
      if (byte != ESPY_OTA_RESPONSE_UPDATE_END_OK)
        {
          fail (task, unexpected_byte (self, byte, "update end OK (0x45)"));
          return FALSE;
        }
      up->expect = EXPECT_NOTHING;
      watchdog_stop (up);
      up->end_ack_due = TRUE;
      send_end_ack_when_idle (task);
      return FALSE;

    case EXPECT_NOTHING:
    default:
      return FALSE;
    }
}

static void
data_read_done (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  up->reading = FALSE;
  if (!attempt_alive (task))
    ;
  else if (n < 0)
    fail_io (task, error);
  else if (n == 0)
    fail (task, closed_error (up->self, up->expect == EXPECT_ACKS ? _("block acknowledgements")
                                                                  : _("the update to be confirmed")));
  else
    {
      gboolean go_on = TRUE;

      watchdog_arm (up, up->self->data_timeout_ms);
      for (gssize i = 0; i < n && go_on; i++)
        go_on = data_handle_byte (task, up->read_buf[i]);
      if (go_on && up->expect != EXPECT_NOTHING && attempt_alive (task))
        data_read_more (task);
    }
  g_object_unref (task);
}

static void
data_read_more (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  gsize want = 1;

  /* Never read past 0x45: nothing may follow it. While acks are due, read
   * only as many as can still come, so a trailing 0x44 0x45 is seen in order. */
  if (up->expect == EXPECT_ACKS)
    want = MIN (sizeof up->read_buf, (gsize) (up->acks_expected - up->acks) + 2);
  else if (up->expect == EXPECT_RECEIVE_OK)
    want = 2;
  up->reading = TRUE;
  g_input_stream_read_async (up->input, up->read_buf, want, G_PRIORITY_DEFAULT,
                             up->attempt_cancellable, data_read_done, g_object_ref (task));
}

static gboolean
write_error_grace_over (gpointer data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);

  up->write_error_grace_id = 0;
  if (!up->finished && up->write_error != NULL)
    {
      GError *error = g_steal_pointer (&up->write_error);
      fail_io (task, error);
      g_error_free (error);
    }
  return G_SOURCE_REMOVE;
}

static void
data_write_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  EspyOtaClient *self = up->self;
  g_autoptr(GError) error = NULL;
  gsize written = 0;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error);

  up->writing = FALSE;
  if (!attempt_alive (task))
    {
      g_object_unref (task);
      return;
    }
  if (!ok)
    {
      /* The device usually wrote an error byte before closing: give the
       * reader a moment to see it, it explains far more than EPIPE does. */
      if (up->reading && !up->timed_out &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          up->write_error = g_steal_pointer (&error);
          up->write_error_grace_id = g_timeout_add (1000, write_error_grace_over, task);
        }
      else
        fail_io (task, error);
      g_object_unref (task);
      return;
    }

  up->offset += written;
  self->bytes_sent = MAX (self->bytes_sent, up->offset);
  up->blocks_written++;
  if (self->protocol_version == 1)
    {
      /* No acks in version 1: progress is what the socket took. */
      self->bytes_acked = self->bytes_sent;
      emit_progress (self);
      watchdog_arm (up, self->data_timeout_ms);
    }
  else
    emit_progress (self);

  if (up->offset < up->size)
    data_write_more (task);
  else if (up->end_ack_due)
    send_end_ack_when_idle (task);
  else
    {
      up->write_done = TRUE;
      if (self->protocol_version == 1)
        {
          up->expect = EXPECT_RECEIVE_OK;
          set_stage (self, ESPY_OTA_STAGE_VERIFY);
        }
      watchdog_arm (up, self->data_timeout_ms);
    }
  g_object_unref (task);
}

static void
data_write_more (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  gsize len;

  if (up->writing || up->offset >= up->size)
    return;
  /* Version 2: at most `window` blocks the device has not acknowledged. */
  if (up->self->protocol_version == 2 && up->blocks_written - up->acks >= up->self->window)
    return;

  len = MIN ((gsize) ESPY_OTA_BLOCK_SIZE, up->size - up->offset);
  up->writing = TRUE;
  g_output_stream_write_all_async (up->output, up->data + up->offset, len, G_PRIORITY_DEFAULT,
                                   up->attempt_cancellable, data_write_done, g_object_ref (task));
}

static void
data_phase_start (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  GSocket *socket = g_socket_connection_get_socket (up->connection);

  set_stage (up->self, ESPY_OTA_STAGE_UPLOAD);
  /* The reference client turns Nagle back on here. We keep TCP_NODELAY:
   * every write is a whole 8 KiB block, so Nagle would only hold back each
   * block's last partial segment until the device's (delayed) TCP ACK. */
  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 64 * 1024, NULL);

  up->offset = 0;
  up->blocks_written = 0;
  up->acks = 0;
  up->acks_expected = up->self->protocol_version == 2 ? espy_ota_ack_count (up->size) : 0;
  up->expect = up->self->protocol_version == 2 ? EXPECT_ACKS : EXPECT_RECEIVE_OK;
  up->write_done = FALSE;
  up->self->data_started_us = g_get_monotonic_time ();
  up->self->data_last_us = up->self->data_started_us;
  emit_progress (up->self);

  watchdog_arm (up, up->self->data_timeout_ms);
  /* The reader runs through the whole data phase: a device error byte can
   * arrive in place of any ack (and in version 1 at any time). */
  data_read_more (task);
  data_write_more (task);
}

/* --- public API --------------------------------------------------------------- */

static void
start_operation (EspyOtaClient       *self,
                 EspyFirmwareImage   *image,
                 gboolean             check_only,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Upload *up = g_new0 (Upload, 1);

  g_task_set_source_tag (task, source_tag);
  up->self = self;
  up->image = image != NULL ? g_object_ref (image) : NULL;
  up->check_only = check_only;
  g_task_set_task_data (task, up, upload_free);

  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("An upload to this device is already running."));
      up->finished = TRUE;
      g_object_unref (task);
      return;
    }
  self->busy = TRUE;
  self->failed_stage = ESPY_OTA_STAGE_IDLE;
  /* The task holds itself until finish_task() returns it. */
  attempt_start (task);
}

void
espy_ota_client_upload_async (EspyOtaClient       *self,
                              EspyFirmwareImage   *image,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));
  g_return_if_fail (ESPY_IS_FIRMWARE_IMAGE (image));

  start_operation (self, image, FALSE, espy_ota_client_upload_async, cancellable, callback, user_data);
}

gboolean
espy_ota_client_upload_finish (EspyOtaClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
espy_ota_client_check_async (EspyOtaClient       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  start_operation (self, NULL, TRUE, espy_ota_client_check_async, cancellable, callback, user_data);
}

gboolean
espy_ota_client_check_finish (EspyOtaClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

EspyOtaClient *
espy_ota_client_new (const char *host,
                     guint16     port)
{
  EspyOtaClient *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (ESPY_TYPE_OTA_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port;
  return self;
}

void
espy_ota_client_set_password (EspyOtaClient *self,
                              const char    *password)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  espy_secret_string_set_non_empty (&self->password, password);
}

void
espy_ota_client_set_window (EspyOtaClient *self,
                            guint          blocks)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  self->window = CLAMP (blocks, 1, 256);
}

void
espy_ota_client_set_timeouts (EspyOtaClient *self,
                              guint          handshake_ms,
                              guint          data_ms)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  self->handshake_timeout_ms = MAX (handshake_ms, 1);
  self->data_timeout_ms = MAX (data_ms, 1);
}

void
espy_ota_client_set_retries (EspyOtaClient *self,
                             guint          retries,
                             guint          delay_ms)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  self->retries = retries;
  self->retry_delay_ms = delay_ms;
}

void
espy_ota_client_set_features (EspyOtaClient *self,
                              guint8         features)
{
  g_return_if_fail (ESPY_IS_OTA_CLIENT (self));

  /* We implement neither the extended protocol nor Noise: never claim them. */
  self->features = features & ESPY_OTA_CLIENT_FEATURES;
}

EspyOtaStage
espy_ota_client_get_stage (EspyOtaClient *self)
{
  return self->stage;
}

EspyOtaStage
espy_ota_client_get_failed_stage (EspyOtaClient *self)
{
  return self->failed_stage;
}

int
espy_ota_client_get_device_code (EspyOtaClient *self)
{
  return self->device_code;
}

guint
espy_ota_client_get_protocol_version (EspyOtaClient *self)
{
  return self->protocol_version;
}

gboolean
espy_ota_client_get_compressed (EspyOtaClient *self)
{
  return self->compressed;
}

const char *
espy_ota_client_get_auth_method (EspyOtaClient *self)
{
  return self->auth_method;
}

guint64
espy_ota_client_get_bytes_sent (EspyOtaClient *self)
{
  return self->bytes_sent;
}

guint64
espy_ota_client_get_bytes_acked (EspyOtaClient *self)
{
  return self->bytes_acked;
}

guint64
espy_ota_client_get_total (EspyOtaClient *self)
{
  return self->total;
}

double
espy_ota_client_get_rate (EspyOtaClient *self)
{
  gint64 elapsed = self->data_last_us - self->data_started_us;

  if (self->data_started_us == 0 || elapsed <= 0)
    return 0.0;
  return (double) self->bytes_acked * G_USEC_PER_SEC / (double) elapsed;
}

static void
espy_ota_client_finalize (GObject *object)
{
  EspyOtaClient *self = ESPY_OTA_CLIENT (object);

  espy_ota_client_set_password (self, NULL);
  g_free (self->host);
  G_OBJECT_CLASS (espy_ota_client_parent_class)->finalize (object);
}

static void
espy_ota_client_class_init (EspyOtaClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_ota_client_finalize;

  signals[SIGNAL_STAGE_CHANGED] =
    g_signal_new ("stage-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT64, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
espy_ota_client_init (EspyOtaClient *self)
{
  self->window = ESPY_OTA_DEFAULT_WINDOW;
  self->handshake_timeout_ms = ESPY_OTA_DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->data_timeout_ms = ESPY_OTA_DEFAULT_DATA_TIMEOUT_MS;
  self->retries = ESPY_OTA_DEFAULT_RETRIES;
  self->retry_delay_ms = ESPY_OTA_DEFAULT_RETRY_DELAY_MS;
  self->features = ESPY_OTA_CLIENT_FEATURES;
  self->device_code = -1;
}

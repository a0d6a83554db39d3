/* espy-sim-web-server.c: the simulated device's web_server component (wire
 * doc sections 2, 4 and 6), on a SoupServer of its own.
 *
 * The SoupServer lives in a thread with its own main context, as the
 * device's OTA server does in its pool: uploads are answered while the
 * caller blocks (a test waiting on an espy-cli child, say). Setters and
 * emitters may be called from any thread; they hand work to that context.
 * /events connections are stolen from libsoup and written raw, so the
 * framing is byte for byte the firmware's, and every event goes out at once.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include "espy-sim-web-server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define DEFAULT_PING_MS    10000
#define SSE_RETRY_MS       30000
/* A part's header block or a boundary line longer than this is garbage. */
#define MAX_PART_HEADERS   16384
#define LOG_TICK_MIN_MS    10
#define MAX_LOG_PER_TICK   1000
#define UPLOAD_KEY         "espy-sim-web-upload"
#define ARDUINO_REALM      "asyncesp"

/* Carries signals to the owner's context; dispose() clears owner. */
typedef struct {
  EspySimWebServer *owner;
} Notifier;

typedef struct {
  char *id;
  char *json;
} Entity;

struct _EspySimWebServer
{
  GObject parent_instance;

  EspySimWebFlavour flavour;
  GMainContext *owner_context;
  Notifier *notifier;

  /* Guarded by mutex. */
  GMutex mutex;
  GCond cond;
  EspySimGeneration generation;
  char *platform;
  char *title;
  char *comment;
  char *username;
  char *password;
  guint16 port;
  gboolean ota_enabled;
  guint64 flash_rate;
  guint ping_ms;
  double log_rate;
  EspySimWebUploadFunc upload_func;
  gpointer upload_data;
  GDestroyNotify upload_destroy;
  GPtrArray *entities;          /* Entity, in the order first set */
  guint upload_count;
  GBytes *last_image;
  GThread *thread;
  GMainContext *context;        /* the server thread's */
  gboolean started;
  GError *start_error;

  gint quit;                    /* atomic */
  gint n_clients;               /* atomic: /events clients connected */

  /* Server thread only. */
  SoupServer *server;
  GSocketService *service;
  GList *clients;               /* SseClient, connected */
  guint n_alive;                /* SseClients not yet freed */
  GSource *ping_source;
  GSource *log_source;
  gint64 boot_time;
  gint64 log_start;
  guint64 log_emitted;
  guint log_seq;
};

G_DEFINE_FINAL_TYPE (EspySimWebServer, espy_sim_web_server, G_TYPE_OBJECT)

enum {
  SIGNAL_UPLOAD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
entity_free (gpointer data)
{
  Entity *entity = data;

  g_free (entity->id);
  g_free (entity->json);
  g_free (entity);
}

/* Work handed to the server thread */

typedef struct {
  EspySimWebServer *self;
  GSourceFunc func;
  char *event;
  char *data;
} Invocation;

static void
invocation_free (gpointer data)
{
  Invocation *inv = data;

  g_free (inv->event);
  g_free (inv->data);
  g_free (inv);
}

static gboolean
invocation_dispatch (gpointer data)
{
  Invocation *inv = data;

  /* Late arrivals after teardown find no server: drop them. */
  if (inv->self->server != NULL)
    inv->func (inv);
  return G_SOURCE_REMOVE;
}

/* Takes INV; drops it when the server is not running. */
static void
invoke_on_server (EspySimWebServer *self,
                  Invocation       *inv)
{
  g_mutex_lock (&self->mutex);
  if (self->context != NULL && !g_atomic_int_get (&self->quit))
    {
      GSource *source = g_idle_source_new ();

      inv->self = self;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, invocation_dispatch, inv, invocation_free);
      g_source_set_static_name (source, "[espy-sim-web] invoke");
      g_source_attach (source, self->context);
      g_source_unref (source);
      inv = NULL;
    }
  g_mutex_unlock (&self->mutex);
  if (inv != NULL)
    invocation_free (inv);
}

/* Server-sent events */

typedef struct {
  EspySimWebServer *self;
  GIOStream *stream;
  GCancellable *cancellable;
  GQueue queue;         /* GBytes waiting to be written */
  GBytes *writing;      /* being written */
  guint pending;        /* async operations in flight */
  gboolean closed;
  guint8 buf[256];
} SseClient;

static void sse_client_flush (SseClient *c);

static void
sse_client_close (SseClient *c)
{
  EspySimWebServer *self = c->self;

  if (c->closed)
    return;
  c->closed = TRUE;
  self->clients = g_list_remove (self->clients, c);
  g_atomic_int_add (&self->n_clients, -1);
  g_cancellable_cancel (c->cancellable);
}

/* Frees C once closed and no callback of its is still to come. */
static void
sse_client_maybe_free (SseClient *c)
{
  if (!c->closed || c->pending > 0)
    return;
  g_io_stream_close (c->stream, NULL, NULL);
  g_object_unref (c->stream);
  g_object_unref (c->cancellable);
  g_queue_clear_full (&c->queue, (GDestroyNotify) g_bytes_unref);
  c->self->n_alive--;
  g_free (c);
}

static void
sse_client_write_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  SseClient *c = data;
  g_autoptr(GError) error = NULL;

  c->pending--;
  g_clear_pointer (&c->writing, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    sse_client_close (c);
  else
    sse_client_flush (c);
  sse_client_maybe_free (c);
}

/* One write at a time; whatever queued meanwhile goes out as one. */
static void
sse_client_flush (SseClient *c)
{
  GByteArray *all;
  GBytes *bytes;
  gsize len;
  gconstpointer data;

  if (c->closed || c->writing != NULL || g_queue_is_empty (&c->queue))
    return;

  all = g_byte_array_new ();
  while ((bytes = g_queue_pop_head (&c->queue)) != NULL)
    {
      data = g_bytes_get_data (bytes, &len);
      g_byte_array_append (all, data, len);
      g_bytes_unref (bytes);
    }
  c->writing = g_byte_array_free_to_bytes (all);
  data = g_bytes_get_data (c->writing, &len);
  c->pending++;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (c->stream), data, len,
                                   G_PRIORITY_DEFAULT, c->cancellable, sse_client_write_cb, c);
}

static void
sse_client_send (SseClient *c,
                 GBytes    *frame)
{
  if (c->closed)
    return;
  g_queue_push_tail (&c->queue, g_bytes_ref (frame));
  sse_client_flush (c);
}

static void sse_client_read (SseClient *c);

static void
sse_client_read_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  SseClient *c = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  c->pending--;
  /* The device ignores what a client sends; it only notices the close. */
  if (n <= 0)
    sse_client_close (c);
  else
    sse_client_read (c);
  sse_client_maybe_free (c);
}

static void
sse_client_read (SseClient *c)
{
  if (c->closed)
    return;
  c->pending++;
  g_input_stream_read_async (g_io_stream_get_input_stream (c->stream), c->buf, sizeof c->buf,
                             G_PRIORITY_DEFAULT, c->cancellable, sse_client_read_cb, c);
}

/* The data lines as ESPAsyncWebServer's generateEventMessage() writes
 * them: CR, LF, CRLF or LFCR end a line, a trailing line end adds nothing,
 * and an empty message is one empty data line on Arduino, none on ESP-IDF. */
static void
append_data_lines (GString           *ev,
                   const char        *data,
                   EspySimWebFlavour  flavour)
{
  const char *p = data;
  const char *end = data + strlen (data);

  if (*data == '\0')
    {
      if (flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO)
        g_string_append (ev, "data: \r\n");
      return;
    }

  while (p < end)
    {
      const char *eol = p;

      while (eol < end && *eol != '\r' && *eol != '\n')
        eol++;
      g_string_append (ev, "data: ");
      g_string_append_len (ev, p, eol - p);
      g_string_append (ev, "\r\n");
      if (eol < end)
        {
          if (eol + 1 < end && eol[0] != eol[1] && (eol[1] == '\r' || eol[1] == '\n'))
            eol += 2;
          else
            eol++;
        }
      p = eol;
    }
}

static GBytes *
build_event (EspySimWebServer *self,
             const char       *event,
             const char       *data)
{
  GString *ev = g_string_new (NULL);
  gint64 id = (g_get_monotonic_time () - self->boot_time) / 1000;

  g_string_append_printf (ev, "retry: %u\r\nid: %" G_GINT64_FORMAT "\r\nevent: %s\r\n",
                          SSE_RETRY_MS, MAX (id, 1), event);
  append_data_lines (ev, data, self->flavour);
  g_string_append (ev, "\r\n");

  if (self->flavour == ESPY_SIM_WEB_FLAVOUR_ESP_IDF)
    {
      /* esp_http_server sends the stream chunked, one chunk per event. */
      g_autofree char *prefix = g_strdup_printf ("%zx\r\n", ev->len);

      g_string_prepend (ev, prefix);
      g_string_append (ev, "\r\n");
    }
  return g_string_free_to_bytes (ev);
}

static void
broadcast (EspySimWebServer *self,
           const char       *event,
           const char       *data)
{
  g_autoptr(GBytes) frame = NULL;

  if (self->clients == NULL)
    return;
  frame = build_event (self, event, data);
  for (GList *l = self->clients; l != NULL; l = l->next)
    sse_client_send (l->data, frame);
}

static char *
config_json (EspySimWebServer *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_mutex_lock (&self->mutex);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, self->title != NULL ? self->title : "");
  json_builder_set_member_name (builder, "comment");
  json_builder_add_string_value (builder, self->comment != NULL ? self->comment : "");
  json_builder_set_member_name (builder, "ota");
  json_builder_add_boolean_value (builder, self->ota_enabled);
  json_builder_set_member_name (builder, "log");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "lang");
  json_builder_add_string_value (builder, "en");
  json_builder_end_object (builder);
  g_mutex_unlock (&self->mutex);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
serve_events (EspySimWebServer  *self,
              SoupServerMessage *msg)
{
  static const char arduino_head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";
  /* Ends with the CRLF chunk ESPHome sends to get the headers out. */
  static const char idf_head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "2\r\n\r\n\r\n";
  g_autoptr(GBytes) head = NULL;
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *config = NULL;
  SseClient *c;

  c = g_new0 (SseClient, 1);
  c->self = self;
  c->stream = soup_server_message_steal_connection (msg);
  c->cancellable = g_cancellable_new ();
  g_queue_init (&c->queue);
  self->n_alive++;
  self->clients = g_list_append (self->clients, c);
  g_atomic_int_inc (&self->n_clients);

  if (self->flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO)
    head = g_bytes_new_static (arduino_head, sizeof arduino_head - 1);
  else
    head = g_bytes_new_static (idf_head, sizeof idf_head - 1);
  sse_client_send (c, head);

  /* On connect: the config ping, then every entity's state. */
  config = config_json (self);
  {
    g_autoptr(GBytes) ping = build_event (self, "ping", config);

    sse_client_send (c, ping);
  }
  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->entities->len; i++)
    g_ptr_array_add (states, g_strdup (((Entity *) g_ptr_array_index (self->entities, i))->json));
  g_mutex_unlock (&self->mutex);
  for (guint i = 0; i < states->len; i++)
    {
      g_autoptr(GBytes) state = build_event (self, "state", g_ptr_array_index (states, i));

      sse_client_send (c, state);
    }
  sse_client_read (c);
}

/* Auth */

static char *
random_md5 (void)
{
  g_autofree char *seed = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());

  return g_compute_checksum_for_string (G_CHECKSUM_MD5, seed, -1);
}

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* ESPAsyncWebServer's checkDigestAuthentication(): the parameters are split
 * on ", " exactly, a value starting with a quote loses its first and last
 * characters, and realm, nonce, opaque and uri are taken as the client sends
 * them (ESPHome passes NULL for all four). */
static gboolean
check_digest (const char *params,
              const char *method,
              const char *username,
              const char *password)
{
  g_autoptr(GString) rest = NULL;
  g_autofree char *user = NULL;
  g_autofree char *realm = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *response = NULL;
  g_autofree char *qop = NULL;
  g_autofree char *nc = NULL;
  g_autofree char *cnonce = NULL;
  g_autofree char *ha1_text = NULL;
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2_text = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *expected_text = NULL;
  g_autofree char *expected = NULL;
  const char *brk;

  if (strchr (params, ',') == NULL)
    return FALSE;
  rest = g_string_new (params);
  g_string_append (rest, ", ");
  brk = strstr (rest->str, ", ");
  do
    {
      g_autofree char *line = g_strndup (rest->str, brk - rest->str);
      char *eq;
      char *value;
      char **slot = NULL;

      g_string_erase (rest, 0, brk - rest->str + 2);
      brk = strstr (rest->str, ", ");

      g_strstrip (line);
      eq = strchr (line, '=');
      if (eq == NULL)
        return FALSE;
      *eq = '\0';
      value = eq + 1;
      if (value[0] == '"')
        {
          gsize len = strlen (value);

          /* substring(1, length - 1), quote or not at the end. */
          if (len >= 2)
            value[len - 1] = '\0';
          value++;
        }

      if (g_str_equal (line, "username"))
        {
          if (!g_str_equal (value, username))
            return FALSE;
          slot = &user;
        }
      else if (g_str_equal (line, "realm"))
        slot = &realm;
      else if (g_str_equal (line, "nonce"))
        slot = &nonce;
      else if (g_str_equal (line, "uri"))
        slot = &uri;
      else if (g_str_equal (line, "response"))
        slot = &response;
      else if (g_str_equal (line, "qop"))
        slot = &qop;
      else if (g_str_equal (line, "nc"))
        slot = &nc;
      else if (g_str_equal (line, "cnonce"))
        slot = &cnonce;
      if (slot != NULL)
        {
          g_free (*slot);
          *slot = g_strdup (value);
        }
    }
  while (brk != NULL && brk != rest->str);

  ha1_text = g_strdup_printf ("%s:%s:%s", user ? user : "", realm ? realm : "", password);
  ha1 = md5_hex (ha1_text);
  ha2_text = g_strdup_printf ("%s:%s", method, uri ? uri : "");
  ha2 = md5_hex (ha2_text);
  expected_text = g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, nonce ? nonce : "", nc ? nc : "",
                                   cnonce ? cnonce : "", qop ? qop : "", ha2);
  expected = md5_hex (expected_text);
  return response != NULL && g_str_equal (response, expected);
}

static gboolean
check_basic (const char *encoded,
             const char *username,
             const char *password)
{
  g_autofree char *pair = g_strdup_printf ("%s:%s", username, password);
  g_autofree char *expected = g_base64_encode ((const guchar *) pair, strlen (pair));

  /* The device compares the base64 text, not the decoded pair. */
  return g_str_equal (encoded, expected);
}

static gboolean
is_authorized (EspySimWebServer  *self,
               SoupServerMessage *msg)
{
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  const char *header;
  gsize len;

  g_mutex_lock (&self->mutex);
  username = g_strdup (self->username);
  password = g_strdup (self->password);
  g_mutex_unlock (&self->mutex);

  if (username == NULL || password == NULL)
    return TRUE;

  header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  if (header == NULL)
    return FALSE;
  len = strlen (header);

  switch (self->flavour)
    {
    case ESPY_SIM_WEB_FLAVOUR_ARDUINO:
      /* _parseReqHeader(): the scheme in any case, then skip one character. */
      if (len > 5 && g_ascii_strncasecmp (header, "Basic", 5) == 0)
        return check_basic (header + 6, username, password);
      if (len > 6 && g_ascii_strncasecmp (header, "Digest", 6) == 0)
        return check_digest (header + 7, soup_server_message_get_method (msg), username, password);
      return FALSE;

    case ESPY_SIM_WEB_FLAVOUR_ESP_IDF:
      if (strncmp (header, "Basic ", 6) != 0)
        return FALSE;
      return check_basic (header + 6, username, password);

    default:
      g_assert_not_reached ();
    }
}

static void
close_if_arduino (EspySimWebServer  *self,
                  SoupServerMessage *msg)
{
  /* ESPAsyncWebServer closes the connection after every answer. */
  if (self->flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

static void
answer_unauthorized (EspySimWebServer  *self,
                     SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  switch (self->flavour)
    {
    case ESPY_SIM_WEB_FLAVOUR_ARDUINO:
      {
        g_autofree char *nonce = random_md5 ();
        g_autofree char *opaque = random_md5 ();
        g_autofree char *challenge = g_strdup_printf ("Digest realm=\"" ARDUINO_REALM "\", qop=\"auth\", "
                                                      "nonce=\"%s\", opaque=\"%s\"", nonce, opaque);

        soup_message_headers_replace (headers, "WWW-Authenticate", challenge);
        soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
      }
      break;

    case ESPY_SIM_WEB_FLAVOUR_ESP_IDF:
      {
        static const char body[] = "Unauthorized";

        soup_message_headers_replace (headers, "WWW-Authenticate", "Basic realm=\"Login Required\"");
        soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, body, sizeof body - 1);
      }
      break;

    default:
      g_assert_not_reached ();
    }
  close_if_arduino (self, msg);
}

static void
answer_not_found (EspySimWebServer  *self,
                  SoupServerMessage *msg)
{
  static const char body[] = "Not Found";

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, body, sizeof body - 1);
  close_if_arduino (self, msg);
}

/* POST /update */

typedef enum {
  PART_PREAMBLE,
  PART_BOUNDARY_TAIL,   /* after a delimiter: "--" or padding and CRLF */
  PART_HEADERS,
  PART_BODY,
  PART_EPILOGUE,
  PART_ERROR,
} PartState;

typedef struct {
  EspySimWebServer *self;
  SoupServerMessage *msg;        /* owns us */

  /* Snapshot of the configuration at the request's headers. */
  gboolean check_magic;
  gboolean esp8266;
  gboolean reasons;              /* 2024.2 Arduino: the failure reason in the body */
  guint64 flash_rate;

  char *delim;                   /* "\r\n--" boundary */
  gsize delim_len;
  GByteArray *pending;
  PartState state;
  gboolean in_file;
  gboolean have_file;
  gboolean file_done;
  gboolean magic_bad;
  guint64 file_bytes;
  GByteArray *image;

  gint64 data_start;
  guint64 received;
  GSource *throttle;

  gboolean ok;                   /* the answer given */
  GBytes *result;                /* the image, when ok */
} Upload;

static void
upload_free (gpointer data)
{
  Upload *up = data;

  if (up->throttle != NULL)
    {
      g_source_destroy (up->throttle);
      g_source_unref (up->throttle);
    }
  g_free (up->delim);
  g_byte_array_unref (up->pending);
  g_byte_array_unref (up->image);
  g_clear_pointer (&up->result, g_bytes_unref);
  g_free (up);
}

static gssize
find_in (GByteArray *buf,
         const char *needle,
         gsize       needle_len)
{
  const guint8 *hit;

  if (buf->len < needle_len)
    return -1;
  hit = memmem (buf->data, buf->len, needle, needle_len);
  return hit != NULL ? hit - buf->data : -1;
}

static void
part_start (Upload     *up,
            const char *headers,
            gsize       len)
{
  g_autofree char *text = g_strdup_printf ("X\r\n%.*s\r\n\r\n", (int) len, headers);
  g_autoptr(SoupMessageHeaders) parsed = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  GHashTable *params = NULL;
  gboolean is_file = FALSE;

  /* AsyncWebServer hands every part with a filename to the OTA handler,
   * whatever its field name; the first one is the image. */
  if (soup_headers_parse (text, strlen (text), parsed) &&
      soup_message_headers_get_content_disposition (parsed, NULL, &params))
    {
      is_file = g_hash_table_contains (params, "filename");
      g_hash_table_destroy (params);
    }
  up->in_file = is_file && !up->have_file;
  if (up->in_file)
    up->have_file = TRUE;
}

static void
part_data (Upload       *up,
           const guint8 *data,
           gsize         len)
{
  if (!up->in_file || len == 0)
    return;
  if (up->file_bytes == 0 && up->check_magic && data[0] != 0xE9)
    up->magic_bad = TRUE;
  up->file_bytes += len;
  if (!up->magic_bad)
    g_byte_array_append (up->image, data, len);
}

/* A streaming multipart/form-data parser: chunks may split anything. */
static void
multipart_feed (Upload       *up,
                const guint8 *data,
                gsize         len)
{
  GByteArray *buf = up->pending;

  g_byte_array_append (buf, data, len);
  for (;;)
    {
      gssize at;

      switch (up->state)
        {
        case PART_PREAMBLE:
        case PART_BODY:
          at = find_in (buf, up->delim, up->delim_len);
          if (at < 0)
            {
              /* Keep what could be the start of a delimiter. */
              gsize keep = up->delim_len - 1;

              if (buf->len > keep)
                {
                  gsize n = buf->len - keep;

                  if (up->state == PART_BODY)
                    part_data (up, buf->data, n);
                  g_byte_array_remove_range (buf, 0, n);
                }
              return;
            }
          if (up->state == PART_BODY)
            {
              part_data (up, buf->data, at);
              if (up->in_file)
                {
                  up->in_file = FALSE;
                  up->file_done = TRUE;
                }
            }
          g_byte_array_remove_range (buf, 0, at + up->delim_len);
          up->state = PART_BOUNDARY_TAIL;
          break;

        case PART_BOUNDARY_TAIL:
          if (buf->len < 2)
            return;
          if (buf->data[0] == '-' && buf->data[1] == '-')
            {
              up->state = PART_EPILOGUE;
              break;
            }
          at = find_in (buf, "\r\n", 2);
          if (at < 0)
            {
              if (buf->len > MAX_PART_HEADERS)
                up->state = PART_ERROR;
              return;
            }
          g_byte_array_remove_range (buf, 0, at + 2);
          up->state = PART_HEADERS;
          break;

        case PART_HEADERS:
          if (buf->len < 2)
            return;
          if (buf->data[0] == '\r' && buf->data[1] == '\n')
            {
              part_start (up, "", 0);
              g_byte_array_remove_range (buf, 0, 2);
              up->state = PART_BODY;
              break;
            }
          at = find_in (buf, "\r\n\r\n", 4);
          if (at < 0)
            {
              if (buf->len > MAX_PART_HEADERS)
                up->state = PART_ERROR;
              return;
            }
          part_start (up, (const char *) buf->data, at);
          g_byte_array_remove_range (buf, 0, at + 4);
          up->state = PART_BODY;
          break;

        case PART_EPILOGUE:
        case PART_ERROR:
          g_byte_array_set_size (buf, 0);
          return;

        default:
          g_assert_not_reached ();
        }
    }
}

static gboolean
upload_unthrottle (gpointer data)
{
  Upload *up = data;

  g_clear_pointer (&up->throttle, g_source_unref);
  soup_server_message_unpause (up->msg);
  return G_SOURCE_REMOVE;
}

static void
upload_got_chunk (SoupServerMessage *msg,
                  GBytes            *chunk,
                  gpointer           data)
{
  Upload *up = data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (chunk, &len);
  gint64 now = g_get_monotonic_time ();

  if (up->data_start == 0)
    up->data_start = now;
  multipart_feed (up, bytes, len);
  up->received += len;

  /* The "flash" takes flash_rate bytes per second: stop reading until
   * the bytes so far would have been written. */
  if (up->flash_rate > 0)
    {
      gint64 due = up->data_start + (gint64) (up->received * G_USEC_PER_SEC / up->flash_rate);

      if (due > now + G_TIME_SPAN_MILLISECOND && up->throttle == NULL)
        {
          soup_server_message_pause (msg);
          up->throttle = g_timeout_source_new ((guint) ((due - now) / G_TIME_SPAN_MILLISECOND));
          g_source_set_callback (up->throttle, upload_unthrottle, up, NULL);
          g_source_set_static_name (up->throttle, "[espy-sim-web] flash rate");
          g_source_attach (up->throttle, g_main_context_get_thread_default ());
        }
    }
}

static Upload *
upload_new (EspySimWebServer  *self,
            SoupServerMessage *msg)
{
  Upload *up = g_new0 (Upload, 1);
  GHashTable *params = NULL;
  const char *type;

  up->self = self;
  up->msg = msg;
  up->pending = g_byte_array_new ();
  up->image = g_byte_array_new ();

  g_mutex_lock (&self->mutex);
  up->check_magic = self->platform != NULL &&
                    (g_ascii_strcasecmp (self->platform, "ESP32") == 0 ||
                     g_ascii_strcasecmp (self->platform, "ESP8266") == 0);
  up->esp8266 = self->platform != NULL && g_ascii_strcasecmp (self->platform, "ESP8266") == 0;
  up->reasons = self->flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO &&
                self->generation == ESPY_SIM_GENERATION_2024_2;
  up->flash_rate = self->flash_rate;
  g_mutex_unlock (&self->mutex);

  type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), &params);
  if (type != NULL && g_ascii_strcasecmp (type, "multipart/form-data") == 0 &&
      g_hash_table_lookup (params, "boundary") != NULL)
    {
      up->delim = g_strconcat ("\r\n--", (const char *) g_hash_table_lookup (params, "boundary"), NULL);
      up->delim_len = strlen (up->delim);
      /* The first delimiter needs no CRLF before it. */
      g_byte_array_append (up->pending, (const guint8 *) "\r\n", 2);
      up->state = PART_PREAMBLE;
    }
  else
    {
      /* No file part can come: the answer will be a failure. */
      up->state = PART_ERROR;
    }
  g_clear_pointer (&params, g_hash_table_destroy);
  return up;
}

static void
early_update (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  EspySimWebServer *self = data;
  gboolean enabled;
  Upload *up;

  if (!g_str_equal (path, "/update") || soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    return;

  /* Images are streamed to the "flash", never held as a request body. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);

  g_mutex_lock (&self->mutex);
  enabled = self->ota_enabled;
  g_mutex_unlock (&self->mutex);
  if (!enabled)
    return;

  /* Said now, a 401 also answers "Expect: 100-continue". */
  if (!is_authorized (self, msg))
    {
      answer_unauthorized (self, msg);
      return;
    }

  up = upload_new (self, msg);
  g_object_set_data_full (G_OBJECT (msg), UPLOAD_KEY, up, upload_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (upload_got_chunk), up);
}

/* The "reboot": after the answer went out and the connection closed. */

typedef struct {
  Notifier *notifier;
  gboolean ok;
  GBytes *image;
} UploadEvent;

static void
upload_event_free (gpointer data)
{
  UploadEvent *ev = data;

  g_clear_pointer (&ev->notifier, g_atomic_rc_box_release);
  g_clear_pointer (&ev->image, g_bytes_unref);
  g_free (ev);
}

static gboolean
upload_event_dispatch (gpointer data)
{
  UploadEvent *ev = data;
  g_autoptr(EspySimWebServer) owner = NULL;

  if (ev->notifier->owner == NULL)
    return G_SOURCE_REMOVE;
  /* A handler may drop the last reference. */
  owner = g_object_ref (ev->notifier->owner);
  g_signal_emit (owner, signals[SIGNAL_UPLOAD_FINISHED], 0, ev->ok, ev->image);
  return G_SOURCE_REMOVE;
}

typedef struct {
  EspySimWebServer *self;
  gboolean ok;
  GBytes *image;
} Finished;

static void
finished_free (gpointer data)
{
  Finished *f = data;

  g_clear_pointer (&f->image, g_bytes_unref);
  g_free (f);
}

static gboolean
finished_dispatch (gpointer data)
{
  Finished *f = data;
  EspySimWebServer *self = f->self;
  EspySimWebUploadFunc func = NULL;
  gpointer func_data = NULL;

  g_mutex_lock (&self->mutex);
  /* A stopping device does not reboot. */
  if (!g_atomic_int_get (&self->quit))
    {
      UploadEvent *ev = g_new0 (UploadEvent, 1);
      GSource *source = g_idle_source_new ();

      func = self->upload_func;
      func_data = self->upload_data;

      ev->notifier = g_atomic_rc_box_acquire (self->notifier);
      ev->ok = f->ok;
      ev->image = f->image != NULL ? g_bytes_ref (f->image) : NULL;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, upload_event_dispatch, ev, upload_event_free);
      g_source_set_static_name (source, "[espy-sim-web] upload-finished");
      g_source_attach (source, self->owner_context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->mutex);

  if (func != NULL)
    func (self, f->ok, f->image, func_data);
  return G_SOURCE_REMOVE;
}

static void
update_finished (SoupServerMessage *msg,
                 gpointer           data)
{
  Upload *up = data;
  Finished *f = g_new0 (Finished, 1);
  GSource *source = g_idle_source_new ();

  f->self = up->self;
  f->ok = up->ok;
  f->image = up->result != NULL ? g_bytes_ref (up->result) : NULL;
  /* From an idle: soup closes the connection right after this signal. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, finished_dispatch, f, finished_free);
  g_source_set_static_name (source, "[espy-sim-web] finished");
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static void
serve_update (EspySimWebServer  *self,
              SoupServerMessage *msg)
{
  Upload *up = g_object_get_data (G_OBJECT (msg), UPLOAD_KEY);
  char *body;

  if (up == NULL)
    {
      answer_not_found (self, msg);
      return;
    }

  up->ok = up->file_done && up->file_bytes > 0 && !up->magic_bad;
  if (up->ok)
    {
      body = g_strdup ("Update Successful!");
      up->result = g_byte_array_free_to_bytes (g_steal_pointer (&up->image));
      up->image = g_byte_array_new ();

      g_mutex_lock (&self->mutex);
      self->upload_count++;
      g_clear_pointer (&self->last_image, g_bytes_unref);
      self->last_image = g_bytes_ref (up->result);
      g_mutex_unlock (&self->mutex);
    }
  else if (up->reasons && up->magic_bad)
    {
      /* "Update Failed: " + Update.printError(), which ends with println(). */
      body = g_strdup (up->esp8266 ? "Update Failed: ERROR[10]: Magic byte is wrong, not 0xE9\r\n"
                                   : "Update Failed: Wrong Magic Byte\r\n");
    }
  else
    body = g_strdup ("Update Failed!");

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, body, strlen (body));
  /* Both stacks: the device reboots, or the upload is over anyway. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  g_signal_connect (msg, "finished", G_CALLBACK (update_finished), up);
}

/* GET / */

static void
serve_root (EspySimWebServer  *self,
            SoupServerMessage *msg)
{
  g_autofree char *title = NULL;
  char *page;

  g_mutex_lock (&self->mutex);
  title = g_markup_escape_text (self->title != NULL ? self->title : "", -1);
  g_mutex_unlock (&self->mutex);

  /* What web_server version 2 serves, minus the script it loads. */
  page = g_strdup_printf ("<!DOCTYPE html><html><head><meta charset=UTF-8><title>%s</title></head>"
                          "<body><h1>%s</h1><esp-app></esp-app></body></html>", title, title);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_TAKE, page, strlen (page));
  close_if_arduino (self, msg);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           data)
{
  EspySimWebServer *self = data;
  const char *method = soup_server_message_get_method (msg);
  gboolean ota_enabled;
  enum { ROUTE_NONE, ROUTE_ROOT, ROUTE_EVENTS, ROUTE_UPDATE } route = ROUTE_NONE;

  g_mutex_lock (&self->mutex);
  ota_enabled = self->ota_enabled;
  g_mutex_unlock (&self->mutex);

  if (g_str_equal (path, "/") && method == SOUP_METHOD_GET)
    route = ROUTE_ROOT;
  else if (g_str_equal (path, "/events") && method == SOUP_METHOD_GET)
    route = ROUTE_EVENTS;
  else if (g_str_equal (path, "/update") && method == SOUP_METHOD_POST && ota_enabled)
    route = ROUTE_UPDATE;

  if (route == ROUTE_NONE)
    {
      answer_not_found (self, msg);
      return;
    }
  /* /update was checked at its headers. */
  if (route != ROUTE_UPDATE && !is_authorized (self, msg))
    {
      answer_unauthorized (self, msg);
      return;
    }

  switch (route)
    {
    case ROUTE_ROOT:
      serve_root (self, msg);
      break;
    case ROUTE_EVENTS:
      serve_events (self, msg);
      break;
    case ROUTE_UPDATE:
      serve_update (self, msg);
      break;
    case ROUTE_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* Pings and made-up logs */

static gboolean
ping_tick (gpointer data)
{
  EspySimWebServer *self = data;

  broadcast (self, "ping", "");
  return G_SOURCE_CONTINUE;
}

static void
emit_generated_line (EspySimWebServer *self)
{
  guint seq = self->log_seq++;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  char level = 'D';
  const char *tag = "sensor";
  guint lineno = 94;

  switch (seq % 4)
    {
    case 0:
      text = g_strdup_printf ("'Temperature': Sending state %.5f °C with 1 decimals of accuracy",
                              21.0 + (seq % 17) / 10.0);
      break;
    case 1:
      text = g_strdup_printf ("'WiFi Signal': Sending state %.5f dBm with 0 decimals of accuracy",
                              -60.0 - (seq % 9));
      break;
    case 2:
      level = 'V';
      tag = "api.connection";
      lineno = 1120;
      text = g_strdup ("Sending keepalive PING");
      break;
    default:
      level = 'I';
      tag = "uptime";
      lineno = 42;
      text = g_strdup_printf ("Uptime: %u s", seq);
      break;
    }
  line = espy_sim_format_log_line (level, tag, lineno, text);
  broadcast (self, "log", line);
}

static gboolean
log_tick (gpointer data)
{
  EspySimWebServer *self = data;
  double rate;
  guint64 due;
  guint n = 0;

  g_mutex_lock (&self->mutex);
  rate = self->log_rate;
  g_mutex_unlock (&self->mutex);

  due = (guint64) ((g_get_monotonic_time () - self->log_start) * rate / G_USEC_PER_SEC);
  while (self->log_emitted < due && n++ < MAX_LOG_PER_TICK)
    {
      emit_generated_line (self);
      self->log_emitted++;
    }
  /* Behind by more than a tick's worth: skip rather than flood. */
  self->log_emitted = MAX (self->log_emitted, due);
  return G_SOURCE_CONTINUE;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Server thread: (re)creates the periodic sources from the configuration. */
static void
schedule_timers (EspySimWebServer *self)
{
  guint ping_ms;
  double rate;

  g_mutex_lock (&self->mutex);
  ping_ms = self->ping_ms;
  rate = self->log_rate;
  g_mutex_unlock (&self->mutex);

  destroy_source (&self->ping_source);
  if (ping_ms > 0)
    {
      self->ping_source = g_timeout_source_new (ping_ms);
      g_source_set_callback (self->ping_source, ping_tick, self, NULL);
      g_source_set_static_name (self->ping_source, "[espy-sim-web] ping");
      g_source_attach (self->ping_source, g_main_context_get_thread_default ());
    }

  destroy_source (&self->log_source);
  if (rate > 0)
    {
      guint interval = (guint) CLAMP (1000.0 / rate, LOG_TICK_MIN_MS, 1000);

      self->log_start = g_get_monotonic_time ();
      self->log_emitted = 0;
      self->log_source = g_timeout_source_new (interval);
      g_source_set_callback (self->log_source, log_tick, self, NULL);
      g_source_set_static_name (self->log_source, "[espy-sim-web] logs");
      g_source_attach (self->log_source, g_main_context_get_thread_default ());
    }
}

static gboolean
invoke_schedule (gpointer data)
{
  Invocation *inv = data;

  schedule_timers (inv->self);
  return G_SOURCE_REMOVE;
}

static gboolean
invoke_broadcast (gpointer data)
{
  Invocation *inv = data;

  broadcast (inv->self, inv->event, inv->data);
  return G_SOURCE_REMOVE;
}

/* The server thread */

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           data)
{
  EspySimWebServer *self = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, NULL);
  return TRUE;
}

/* We accept and hand connections to soup: libsoup 3.2's own listener
 * leaks every accepted GSocket. */
static gboolean
server_listen (EspySimWebServer  *self,
               guint16           *port,
               GError           **error)
{
  g_autoptr(GSocketAddress) v4 = g_inet_socket_address_new_from_string ("127.0.0.1", *port);
  g_autoptr(GSocketAddress) v6 = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) shim = g_inet_socket_address_new_from_string ("127.0.0.1", 0);

  self->service = g_socket_service_new ();
  /* Services start active, and each address added would cancel the
   * pending accept, which can drop a connection arriving meanwhile. */
  g_socket_service_stop (self->service);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), v4, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    return FALSE;
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  /* ::1 is a bonus: hosts without IPv6 just do without. */
  v6 = g_inet_socket_address_new_from_string ("::1", *port);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), v6, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, NULL, NULL);
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);

  /* SoupServer keeps a connection alive only while it has a listener of
   * its own: give it one that nobody is told about. */
  return soup_server_listen (self->server, shim, 0, error);
}

static void
server_teardown (EspySimWebServer *self,
                 GMainContext     *context)
{
  destroy_source (&self->ping_source);
  destroy_source (&self->log_source);
  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->service, on_incoming, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  while (self->clients != NULL)
    {
      SseClient *c = self->clients->data;

      sse_client_close (c);
      sse_client_maybe_free (c);
    }
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  /* Cancelled reads and writes report back through the context. */
  while (self->n_alive > 0)
    g_main_context_iteration (context, TRUE);
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
}

static gpointer
server_thread (gpointer data)
{
  EspySimWebServer *self = data;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;
  gboolean ok;

  g_mutex_lock (&self->mutex);
  context = g_main_context_ref (self->context);
  port = self->port;
  g_mutex_unlock (&self->mutex);

  g_main_context_push_thread_default (context);
  self->boot_time = g_get_monotonic_time ();
  self->server = soup_server_new (NULL, NULL);
  soup_server_add_early_handler (self->server, "/update", early_update, self, NULL);
  /* A path's handler entry is shared: /update needs its own late one. */
  soup_server_add_handler (self->server, "/update", handle_request, self, NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  ok = server_listen (self, &port, &error);

  g_mutex_lock (&self->mutex);
  if (ok)
    self->port = port;
  else
    self->start_error = g_steal_pointer (&error);
  self->started = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (ok)
    {
      schedule_timers (self);
      while (!g_atomic_int_get (&self->quit))
        g_main_context_iteration (context, TRUE);
    }
  server_teardown (self, context);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* Public API */

gboolean
espy_sim_web_server_start (EspySimWebServer  *self,
                           GError           **error)
{
  GThread *thread;
  GError *local_error;

  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->thread != NULL)
    {
      g_mutex_unlock (&self->mutex);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "The web server is already running");
      return FALSE;
    }
  self->context = g_main_context_new ();
  self->started = FALSE;
  g_atomic_int_set (&self->quit, FALSE);
  self->thread = g_thread_try_new ("espy-sim-web", server_thread, self, error);
  if (self->thread == NULL)
    {
      g_clear_pointer (&self->context, g_main_context_unref);
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  while (!self->started)
    g_cond_wait (&self->cond, &self->mutex);
  local_error = g_steal_pointer (&self->start_error);
  thread = local_error != NULL ? g_steal_pointer (&self->thread) : NULL;
  g_mutex_unlock (&self->mutex);

  if (local_error == NULL)
    return TRUE;

  g_thread_join (thread);
  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_unlock (&self->mutex);
  g_propagate_prefixed_error (error, local_error, "Cannot start the web server: ");
  return FALSE;
}

void
espy_sim_web_server_stop (EspySimWebServer *self)
{
  GThread *thread;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));

  g_mutex_lock (&self->mutex);
  if (self->thread == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  if (self->thread == g_thread_self ())
    {
      g_mutex_unlock (&self->mutex);
      g_critical ("espy_sim_web_server_stop() called from the web server's own thread");
      return;
    }
  thread = g_steal_pointer (&self->thread);
  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_wakeup (self->context);
  g_mutex_unlock (&self->mutex);

  g_thread_join (thread);

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_atomic_int_set (&self->n_clients, 0);
  g_mutex_unlock (&self->mutex);
}

gboolean
espy_sim_web_server_is_running (EspySimWebServer *self)
{
  gboolean running;

  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), FALSE);

  g_mutex_lock (&self->mutex);
  running = self->thread != NULL;
  g_mutex_unlock (&self->mutex);
  return running;
}

guint16
espy_sim_web_server_get_port (EspySimWebServer *self)
{
  guint16 port;

  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), 0);

  g_mutex_lock (&self->mutex);
  port = self->port;
  g_mutex_unlock (&self->mutex);
  return port;
}

guint
espy_sim_web_server_get_upload_count (EspySimWebServer *self)
{
  guint count;

  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), 0);

  g_mutex_lock (&self->mutex);
  count = self->upload_count;
  g_mutex_unlock (&self->mutex);
  return count;
}

GBytes *
espy_sim_web_server_dup_last_image (EspySimWebServer *self)
{
  GBytes *image;

  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), NULL);

  g_mutex_lock (&self->mutex);
  image = self->last_image != NULL ? g_bytes_ref (self->last_image) : NULL;
  g_mutex_unlock (&self->mutex);
  return image;
}

guint
espy_sim_web_server_get_event_client_count (EspySimWebServer *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), 0);

  return (guint) g_atomic_int_get (&self->n_clients);
}

EspySimWebFlavour
espy_sim_web_server_get_flavour (EspySimWebServer *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_WEB_SERVER (self), ESPY_SIM_WEB_FLAVOUR_ARDUINO);

  return self->flavour;
}

#define SET_STRING(field, value)              \
  G_STMT_START {                              \
    g_mutex_lock (&self->mutex);              \
    g_free (self->field);                     \
    self->field = g_strdup (value);           \
    g_mutex_unlock (&self->mutex);            \
  } G_STMT_END

#define SET_VALUE(field, value)               \
  G_STMT_START {                              \
    g_mutex_lock (&self->mutex);              \
    self->field = (value);                    \
    g_mutex_unlock (&self->mutex);            \
  } G_STMT_END

void
espy_sim_web_server_set_generation (EspySimWebServer  *self,
                                    EspySimGeneration  generation)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (generation, generation);
}

void
espy_sim_web_server_set_platform (EspySimWebServer *self,
                                  const char       *platform)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_STRING (platform, platform);
}

void
espy_sim_web_server_set_title (EspySimWebServer *self,
                               const char       *title)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_STRING (title, title);
}

void
espy_sim_web_server_set_comment (EspySimWebServer *self,
                                 const char       *comment)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_STRING (comment, comment);
}

void
espy_sim_web_server_set_port (EspySimWebServer *self,
                              guint16           port)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (port, port);
}

void
espy_sim_web_server_set_auth (EspySimWebServer *self,
                              const char       *username,
                              const char       *password)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_STRING (username, username);
  SET_STRING (password, password);
}

void
espy_sim_web_server_set_ota_enabled (EspySimWebServer *self,
                                     gboolean          enabled)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (ota_enabled, !!enabled);
}

void
espy_sim_web_server_set_flash_rate (EspySimWebServer *self,
                                    guint64           bytes_per_s)
{
  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (flash_rate, bytes_per_s);
}

void
espy_sim_web_server_set_ping_interval (EspySimWebServer *self,
                                       guint             ms)
{
  Invocation *inv;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (ping_ms, ms);
  inv = g_new0 (Invocation, 1);
  inv->func = invoke_schedule;
  invoke_on_server (self, inv);
}

void
espy_sim_web_server_set_log_rate (EspySimWebServer *self,
                                  double            lines_per_s)
{
  Invocation *inv;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  SET_VALUE (log_rate, MAX (lines_per_s, 0.0));
  inv = g_new0 (Invocation, 1);
  inv->func = invoke_schedule;
  invoke_on_server (self, inv);
}

void
espy_sim_web_server_set_upload_func (EspySimWebServer     *self,
                                     EspySimWebUploadFunc  func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));

  g_mutex_lock (&self->mutex);
  old_destroy = self->upload_destroy;
  old_data = self->upload_data;
  self->upload_func = func;
  self->upload_data = user_data;
  self->upload_destroy = destroy;
  g_mutex_unlock (&self->mutex);

  if (old_destroy != NULL)
    old_destroy (old_data);
}

void
espy_sim_web_server_set_state (EspySimWebServer *self,
                               const char       *id,
                               const char       *value_json,
                               const char       *state)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(JsonNode) root = NULL;
  Invocation *inv;
  char *json;
  gboolean found = FALSE;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));
  g_return_if_fail (id != NULL && value_json != NULL && state != NULL);

  value = json_from_string (value_json, NULL);
  if (value == NULL)
    value = json_node_init_string (json_node_alloc (), value_json);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "value");
  json_builder_add_value (builder, g_steal_pointer (&value));
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->entities->len && !found; i++)
    {
      Entity *entity = g_ptr_array_index (self->entities, i);

      if (g_str_equal (entity->id, id))
        {
          g_free (entity->json);
          entity->json = g_strdup (json);
          found = TRUE;
        }
    }
  if (!found)
    {
      Entity *entity = g_new0 (Entity, 1);

      entity->id = g_strdup (id);
      entity->json = g_strdup (json);
      g_ptr_array_add (self->entities, entity);
    }
  g_mutex_unlock (&self->mutex);

  inv = g_new0 (Invocation, 1);
  inv->func = invoke_broadcast;
  inv->event = g_strdup ("state");
  inv->data = json;
  invoke_on_server (self, inv);
}

char *
espy_sim_format_log_line (char        level,
                          const char *tag,
                          guint       line,
                          const char *text)
{
  static const struct {
    char level;
    const char *letters;
    const char *colour;
  } levels[] = {
    { 'E', "E", "\033[1;31m" },
    { 'W', "W", "\033[0;33m" },
    { 'I', "I", "\033[0;32m" },
    { 'C', "C", "\033[0;35m" },
    { 'D', "D", "\033[0;36m" },
    { 'V', "V", "\033[0;37m" },
    { 'v', "VV", "\033[0;38m" },
  };

  g_return_val_if_fail (tag != NULL && text != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (levels[i].level == level)
      return g_strdup_printf ("%s[%s][%s:%03u]: %s\033[0m", levels[i].colour, levels[i].letters,
                              tag, line, text);
  g_return_val_if_reached (NULL);
}

void
espy_sim_web_server_emit_log (EspySimWebServer *self,
                              char              level,
                              const char       *tag,
                              guint             line,
                              const char       *text)
{
  Invocation *inv;
  char *formatted;

  g_return_if_fail (ESPY_IS_SIM_WEB_SERVER (self));

  formatted = espy_sim_format_log_line (level, tag, line, text);
  if (formatted == NULL)
    return;
  inv = g_new0 (Invocation, 1);
  inv->func = invoke_broadcast;
  inv->event = g_strdup ("log");
  inv->data = formatted;
  invoke_on_server (self, inv);
}

/* GObject */

static void
espy_sim_web_server_dispose (GObject *object)
{
  EspySimWebServer *self = ESPY_SIM_WEB_SERVER (object);

  espy_sim_web_server_stop (self);
  if (self->notifier != NULL)
    {
      /* Quietly: no signals to a dying object. */
      self->notifier->owner = NULL;
      g_clear_pointer (&self->notifier, g_atomic_rc_box_release);
    }

  G_OBJECT_CLASS (espy_sim_web_server_parent_class)->dispose (object);
}

static void
espy_sim_web_server_finalize (GObject *object)
{
  EspySimWebServer *self = ESPY_SIM_WEB_SERVER (object);

  if (self->upload_destroy != NULL)
    self->upload_destroy (self->upload_data);
  g_free (self->platform);
  g_free (self->title);
  g_free (self->comment);
  g_free (self->username);
  g_free (self->password);
  g_ptr_array_unref (self->entities);
  g_clear_pointer (&self->last_image, g_bytes_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (espy_sim_web_server_parent_class)->finalize (object);
}

static void
espy_sim_web_server_class_init (EspySimWebServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_sim_web_server_dispose;
  object_class->finalize = espy_sim_web_server_finalize;

  signals[SIGNAL_UPLOAD_FINISHED] =
    g_signal_new ("upload-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_BYTES);
}

static void
espy_sim_web_server_init (EspySimWebServer *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->generation = ESPY_SIM_GENERATION_2025_10;
  self->platform = g_strdup ("ESP32");
  self->ota_enabled = TRUE;
  self->ping_ms = DEFAULT_PING_MS;
  self->entities = g_ptr_array_new_with_free_func (entity_free);
  self->owner_context = g_main_context_ref_thread_default ();
  self->notifier = g_atomic_rc_box_new0 (Notifier);
  self->notifier->owner = self;
}

EspySimWebServer *
espy_sim_web_server_new (EspySimWebFlavour flavour)
{
  EspySimWebServer *self = g_object_new (ESPY_TYPE_SIM_WEB_SERVER, NULL);

  self->flavour = flavour;
  return self;
}

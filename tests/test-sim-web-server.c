/* test-sim-web-server.c: the simulated device's web server, checked with
 * raw HTTP written here over plain sockets, so what is on the wire is
 * checked independently of libsoup: web OTA bodies per firmware flavour,
 * auth (Basic, Digest and its ", " quirk), /events framing.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sim-web-server.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#define IO_TIMEOUT_S 10
#define BOUNDARY     "----EspyTestBoundary7MA4YWxkTrZu0gW"

/* Raw HTTP */

static GSocketConnection *
connect_to (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  /* A broken server fails the test instead of hanging it. */
  g_socket_client_set_timeout (client, IO_TIMEOUT_S);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

static void
send_bytes (GSocketConnection *conn,
            const void        *data,
            gsize              len)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
send_text (GSocketConnection *conn,
           const char        *text)
{
  send_bytes (conn, text, strlen (text));
}

/* Appends what arrives to BUF; FALSE at EOF. */
static gboolean
receive_more (GSocketConnection *conn,
              GByteArray        *buf)
{
  g_autoptr(GError) error = NULL;
  guint8 chunk[4096];
  gssize n;

  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), chunk, sizeof chunk, NULL, &error);
  g_assert_no_error (error);
  if (n == 0)
    return FALSE;
  g_byte_array_append (buf, chunk, n);
  return TRUE;
}

static gssize
find_bytes (GByteArray *buf,
            const char *needle)
{
  gsize len = strlen (needle);

  for (gsize i = 0; i + len <= buf->len; i++)
    if (memcmp (buf->data + i, needle, len) == 0)
      return i;
  return -1;
}

typedef struct {
  guint status;
  char *head;        /* status line and headers, CRLFs kept */
  GByteArray *body;  /* de-chunked */
  gboolean closed;   /* the server closed the connection after it */
} Response;

static void
response_free (Response *r)
{
  g_free (r->head);
  g_byte_array_unref (r->body);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* The value of header NAME in HEAD, or NULL. */
static char *
header_get (const char *head,
            const char *name)
{
  g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);
  gsize len = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, len) == 0 && lines[i][len] == ':')
      return g_strstrip (g_strdup (lines[i] + len + 1));
  return NULL;
}

/* Reads the head off BUF (reading more as needed), leaving the rest. */
static char *
read_head (GSocketConnection *conn,
           GByteArray        *buf)
{
  gssize end;
  char *head;

  while ((end = find_bytes (buf, "\r\n\r\n")) < 0)
    g_assert_true (receive_more (conn, buf));
  head = g_strndup ((const char *) buf->data, end + 2);
  g_byte_array_remove_range (buf, 0, end + 4);
  return head;
}

static guint
status_of (const char *head)
{
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 ") || g_str_has_prefix (head, "HTTP/1.0 "));
  return (guint) g_ascii_strtoull (head + 9, NULL, 10);
}

/* Takes one chunk off RAW into OUT; FALSE when RAW holds no whole chunk
 * yet. *LAST is set at the zero chunk. */
static gboolean
dechunk_one (GByteArray *raw,
             GByteArray *out,
             gboolean   *last)
{
  gssize eol = find_bytes (raw, "\r\n");
  g_autofree char *size_text = NULL;
  char *end = NULL;
  guint64 size;

  if (eol < 0)
    return FALSE;
  size_text = g_strndup ((const char *) raw->data, eol);
  size = g_ascii_strtoull (size_text, &end, 16);
  g_assert_true (end != size_text && *end == '\0');
  if (raw->len < eol + 2 + size + 2)
    return FALSE;
  g_assert_cmpmem (raw->data + eol + 2 + size, 2, "\r\n", 2);
  g_byte_array_append (out, raw->data + eol + 2, size);
  g_byte_array_remove_range (raw, 0, eol + 2 + size + 2);
  *last = size == 0;
  return TRUE;
}

static Response *
read_response (GSocketConnection *conn)
{
  Response *r = g_new0 (Response, 1);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autofree char *length = NULL;
  g_autofree char *encoding = NULL;
  guint8 probe;
  gssize n;

  r->head = read_head (conn, buf);
  r->status = status_of (r->head);
  r->body = g_byte_array_new ();
  length = header_get (r->head, "Content-Length");
  encoding = header_get (r->head, "Transfer-Encoding");

  if (length != NULL)
    {
      guint64 want = g_ascii_strtoull (length, NULL, 10);

      while (buf->len < want)
        g_assert_true (receive_more (conn, buf));
      g_assert_cmpuint (buf->len, ==, want);
      g_byte_array_append (r->body, buf->data, buf->len);
    }
  else if (encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") == 0)
    {
      gboolean last = FALSE;

      while (!last)
        while (!dechunk_one (buf, r->body, &last))
          g_assert_true (receive_more (conn, buf));
    }
  else
    {
      while (receive_more (conn, buf))
        ;
      g_byte_array_append (r->body, buf->data, buf->len);
      r->closed = TRUE;
      return r;
    }

  /* Only a closing connection may follow "Connection: close". */
  {
    g_autofree char *connection = header_get (r->head, "Connection");

    if (connection != NULL && g_ascii_strcasecmp (connection, "close") == 0)
      {
        n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), &probe, 1, NULL, NULL);
        g_assert_cmpint (n, ==, 0);
        r->closed = TRUE;
      }
  }
  return r;
}

static void
assert_body (Response   *r,
             const char *expected)
{
  g_assert_cmpmem (r->body->data, r->body->len, expected, strlen (expected));
}

static Response *
request (guint16     port,
         const char *text)
{
  g_autoptr(GSocketConnection) conn = connect_to (port);

  send_text (conn, text);
  return read_response (conn);
}

static Response *
get (guint16     port,
     const char *path,
     const char *extra_headers)
{
  g_autofree char *text = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n",
                                           path, port, extra_headers ? extra_headers : "");

  return request (port, text);
}

/* The multipart body curl and ESPHome's own tools send. */
static GBytes *
multipart_body (const char *field,
                const char *filename,
                GBytes     *image,
                gboolean    leading_text_field)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autofree char *part_head = NULL;
  static const char text_field[] =
    "--" BOUNDARY "\r\n"
    "Content-Disposition: form-data; name=\"comment\"\r\n"
    "\r\n"
    "not a file\r\n";
  static const char tail[] = "\r\n--" BOUNDARY "--\r\n";
  gsize len;
  const guint8 *data = g_bytes_get_data (image, &len);

  if (leading_text_field)
    g_byte_array_append (body, (const guint8 *) text_field, sizeof text_field - 1);
  if (filename != NULL)
    part_head = g_strdup_printf ("--" BOUNDARY "\r\n"
                                 "Content-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                                 "Content-Type: application/octet-stream\r\n"
                                 "\r\n", field, filename);
  else
    part_head = g_strdup_printf ("--" BOUNDARY "\r\n"
                                 "Content-Disposition: form-data; name=\"%s\"\r\n"
                                 "\r\n", field);
  g_byte_array_append (body, (const guint8 *) part_head, strlen (part_head));
  g_byte_array_append (body, data, len);
  g_byte_array_append (body, (const guint8 *) tail, sizeof tail - 1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&body));
}

static Response *
post_update (guint16     port,
             GBytes     *body,
             const char *extra_headers)
{
  g_autoptr(GSocketConnection) conn = connect_to (port);
  g_autofree char *head = g_strdup_printf ("POST /update HTTP/1.1\r\n"
                                           "Host: 127.0.0.1:%u\r\n"
                                           "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "%s\r\n",
                                           port, g_bytes_get_size (body), extra_headers ? extra_headers : "");

  send_text (conn, head);
  send_bytes (conn, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return read_response (conn);
}

static Response *
upload (guint16     port,
        GBytes     *image,
        const char *extra_headers)
{
  g_autoptr(GBytes) body = multipart_body ("update", "firmware.bin", image, FALSE);

  return post_update (port, body, extra_headers);
}

/* Fixture */

typedef struct {
  gboolean ok;
  GBytes *image;
} UploadCall;

static void
upload_call_free (gpointer data)
{
  UploadCall *call = data;

  g_clear_pointer (&call->image, g_bytes_unref);
  g_free (call);
}

/* Runs on the server's thread. */
static void
on_upload (EspySimWebServer *server,
           gboolean          ok,
           GBytes           *image,
           gpointer          data)
{
  GAsyncQueue *queue = data;
  UploadCall *call = g_new0 (UploadCall, 1);

  call->ok = ok;
  call->image = image != NULL ? g_bytes_ref (image) : NULL;
  g_async_queue_push (queue, call);
}

static UploadCall *
pop_upload (GAsyncQueue *queue)
{
  UploadCall *call = g_async_queue_timeout_pop (queue, IO_TIMEOUT_S * G_USEC_PER_SEC);

  g_assert_nonnull (call);
  return call;
}

static EspySimWebServer *
new_server (EspySimWebFlavour  flavour,
            GAsyncQueue       *uploads)
{
  EspySimWebServer *server = espy_sim_web_server_new (flavour);

  espy_sim_web_server_set_title (server, "Kitchen <sensor>");
  if (uploads != NULL)
    espy_sim_web_server_set_upload_func (server, on_upload, g_async_queue_ref (uploads),
                                         (GDestroyNotify) g_async_queue_unref);
  return server;
}

static void
start (EspySimWebServer *server)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (espy_sim_web_server_get_port (server), !=, 0);
}

/* Uploads */

static void
on_upload_finished (EspySimWebServer *server,
                    gboolean          ok,
                    GBytes           *image,
                    gpointer          data)
{
  UploadCall **out = data;

  g_assert_null (*out);
  *out = g_new0 (UploadCall, 1);
  (*out)->ok = ok;
  (*out)->image = image != NULL ? g_bytes_ref (image) : NULL;
}

static gboolean
flag_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_upload_ok (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(GAsyncQueue) uploads = g_async_queue_new_full (upload_call_free);
  g_autoptr(EspySimWebServer) server = new_server (flavour, uploads);
  g_autoptr(GBytes) image = espy_sim_make_image (200 * 1024 + 13, "2026.1.0", NULL, 7);
  g_autoptr(GBytes) last = NULL;
  g_autoptr(Response) r = NULL;
  g_autofree char *type = NULL;
  g_autofree char *connection = NULL;
  UploadCall *signalled = NULL;
  UploadCall *call;
  gboolean timed_out = FALSE;
  guint timeout_id;

  g_signal_connect (server, "upload-finished", G_CALLBACK (on_upload_finished), &signalled);
  start (server);
  r = upload (espy_sim_web_server_get_port (server), image, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  type = header_get (r->head, "Content-Type");
  g_assert_true (g_str_has_prefix (type, "text/plain"));
  connection = header_get (r->head, "Connection");
  g_assert_cmpstr (connection, ==, "close");
  g_assert_true (r->closed);
  assert_body (r, "Update Successful!");

  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 1);
  last = espy_sim_web_server_dup_last_image (server);
  g_assert_true (g_bytes_equal (last, image));

  /* The owner's "reboot", on the server thread and as a signal. */
  call = pop_upload (uploads);
  g_assert_true (call->ok);
  g_assert_true (g_bytes_equal (call->image, image));
  upload_call_free (call);

  timeout_id = g_timeout_add_seconds (IO_TIMEOUT_S, flag_timeout, &timed_out);
  while (signalled == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);
  g_assert_true (signalled->ok);
  g_assert_true (g_bytes_equal (signalled->image, image));
  upload_call_free (signalled);

  espy_sim_web_server_stop (server);
}

static void
test_upload_bodies (void)
{
  static const struct {
    EspySimWebFlavour flavour;
    EspySimGeneration generation;
    const char *platform;
    const char *body;
  } cases[] = {
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2024_2, "ESP32", "Update Failed: Wrong Magic Byte\r\n" },
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2024_2, "ESP8266",
      "Update Failed: ERROR[10]: Magic byte is wrong, not 0xE9\r\n" },
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2025_10, "ESP32", "Update Failed!" },
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2026_1, "ESP8266", "Update Failed!" },
    { ESPY_SIM_WEB_FLAVOUR_ESP_IDF, ESPY_SIM_GENERATION_2025_10, "ESP32", "Update Failed!" },
    { ESPY_SIM_WEB_FLAVOUR_ESP_IDF, ESPY_SIM_GENERATION_2026_1, "ESP32", "Update Failed!" },
    /* No magic check on these. */
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2024_2, "RP2040", "Update Successful!" },
    { ESPY_SIM_WEB_FLAVOUR_ARDUINO, ESPY_SIM_GENERATION_2025_10, "BK72XX", "Update Successful!" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GAsyncQueue) uploads = g_async_queue_new_full (upload_call_free);
      g_autoptr(EspySimWebServer) server = new_server (cases[i].flavour, uploads);
      g_autoptr(GByteArray) bad = g_byte_array_new ();
      g_autoptr(GBytes) image = NULL;
      g_autoptr(Response) r = NULL;
      gboolean ok = g_str_equal (cases[i].body, "Update Successful!");
      UploadCall *call;

      g_test_message ("case %u: %s", i, cases[i].body);
      for (guint j = 0; j < 5000; j++)
        g_byte_array_append (bad, (const guint8 *) "\x42\x13", 2);
      image = g_byte_array_free_to_bytes (g_steal_pointer (&bad));

      espy_sim_web_server_set_generation (server, cases[i].generation);
      espy_sim_web_server_set_platform (server, cases[i].platform);
      start (server);
      r = upload (espy_sim_web_server_get_port (server), image, NULL);
      g_assert_cmpuint (r->status, ==, 200);
      assert_body (r, cases[i].body);
      g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, ok ? 1 : 0);
      call = pop_upload (uploads);
      g_assert_cmpint (call->ok, ==, ok);
      g_assert_true (ok ? call->image != NULL : call->image == NULL);
      upload_call_free (call);
    }
}

/* Chunked transfer, any field name and filename, an extra text field before
 * the file, and chunks that split the boundary anywhere. */
static void
test_upload_chunked (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (70000, "2025.10.1", NULL, 3);
  g_autoptr(GBytes) body = multipart_body ("firmware", "other name.ota.bin", image, TRUE);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(Response) r = NULL;
  g_autoptr(GBytes) last = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autofree char *head = NULL;
  const guint8 *data;
  gsize len;
  gsize off = 0;

  start (server);
  conn = connect_to (espy_sim_web_server_get_port (server));
  head = g_strdup_printf ("POST /update HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Content-Type: multipart/form-data; boundary=\"" BOUNDARY "\"\r\n"
                          "Transfer-Encoding: chunked\r\n"
                          "\r\n");
  send_text (conn, head);
  data = g_bytes_get_data (body, &len);
  while (off < len)
    {
      gsize n = MIN (len - off, (gsize) g_rand_int_range (rand, 1, 700));
      g_autofree char *size_line = g_strdup_printf ("%zx\r\n", n);

      send_text (conn, size_line);
      send_bytes (conn, data + off, n);
      send_text (conn, "\r\n");
      off += n;
    }
  send_text (conn, "0\r\n\r\n");
  r = read_response (conn);

  g_assert_cmpuint (r->status, ==, 200);
  assert_body (r, "Update Successful!");
  last = espy_sim_web_server_dup_last_image (server);
  g_assert_true (g_bytes_equal (last, image));
}

static void
test_upload_no_file (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(GBytes) text = g_bytes_new_static ("\xE9 not a file", 12);
  g_autoptr(GBytes) body = multipart_body ("update", NULL, text, FALSE);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(Response) r = NULL;
  g_autoptr(Response) r2 = NULL;
  g_autoptr(Response) r3 = NULL;
  g_autofree char *raw = NULL;
  guint16 port;

  start (server);
  port = espy_sim_web_server_get_port (server);
  r = post_update (port, body, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  assert_body (r, "Update Failed!");

  r2 = upload (port, empty, NULL);
  assert_body (r2, "Update Failed!");

  /* Not multipart at all. */
  raw = g_strdup_printf ("POST /update HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Length: 4\r\n\r\n\xE9\x01\x02\x03");
  r3 = request (port, raw);
  g_assert_cmpuint (r3->status, ==, 200);
  assert_body (r3, "Update Failed!");
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 0);
}

static void
test_upload_flash_rate (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ESP_IDF, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (128 * 1024, "2025.10.1", NULL, 5);
  g_autoptr(Response) r = NULL;
  gint64 begin;
  gint64 elapsed;

  espy_sim_web_server_set_flash_rate (server, 256 * 1024);
  start (server);
  begin = g_get_monotonic_time ();
  r = upload (espy_sim_web_server_get_port (server), image, NULL);
  elapsed = g_get_monotonic_time () - begin;
  assert_body (r, "Update Successful!");
  g_test_message ("128 KiB at 256 KiB/s took %" G_GINT64_FORMAT " ms", elapsed / 1000);
  g_assert_cmpint (elapsed, >=, 450 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 5 * G_TIME_SPAN_SECOND);
}

static void
test_ota_disabled (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (4096, "2025.10.1", NULL, 1);
  g_autoptr(Response) r = NULL;
  g_autoptr(Response) r2 = NULL;
  g_autoptr(Response) r3 = NULL;
  g_autoptr(Response) r4 = NULL;
  guint16 port;

  espy_sim_web_server_set_ota_enabled (server, FALSE);
  start (server);
  port = espy_sim_web_server_get_port (server);
  r = upload (port, image, NULL);
  g_assert_cmpuint (r->status, ==, 404);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 0);

  /* Switched on while running. */
  espy_sim_web_server_set_ota_enabled (server, TRUE);
  r2 = upload (port, image, NULL);
  assert_body (r2, "Update Successful!");

  /* Only POST is the OTA handler's. */
  r3 = get (port, "/update", NULL);
  g_assert_cmpuint (r3->status, ==, 404);
  r4 = get (port, "/update/x", NULL);
  g_assert_cmpuint (r4->status, ==, 404);
}

static void
test_root_and_not_found (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(EspySimWebServer) server = new_server (flavour, NULL);
  g_autoptr(Response) r = NULL;
  g_autoptr(Response) r2 = NULL;
  g_autofree char *type = NULL;
  g_autofree char *page = NULL;

  start (server);
  r = get (espy_sim_web_server_get_port (server), "/", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  type = header_get (r->head, "Content-Type");
  g_assert_true (g_str_has_prefix (type, "text/html"));
  page = g_strndup ((const char *) r->body->data, r->body->len);
  g_assert_nonnull (strstr (page, "<title>Kitchen &lt;sensor&gt;</title>"));
  /* ESPAsyncWebServer does not keep connections alive. */
  g_assert_true (r->closed == (flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO));

  r2 = get (espy_sim_web_server_get_port (server), "/nope", NULL);
  g_assert_cmpuint (r2->status, ==, 404);

  /* esp_http_server keeps the connection for the next request. */
  if (flavour == ESPY_SIM_WEB_FLAVOUR_ESP_IDF)
    {
      g_autoptr(GSocketConnection) conn = connect_to (espy_sim_web_server_get_port (server));

      for (guint i = 0; i < 2; i++)
        {
          g_autoptr(Response) again = NULL;

          send_text (conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          again = read_response (conn);
          g_assert_cmpuint (again->status, ==, 200);
          g_assert_false (again->closed);
        }
    }
}

/* Auth */

static void
assert_challenge (Response          *r,
                  EspySimWebFlavour  flavour)
{
  g_autofree char *challenge = header_get (r->head, "WWW-Authenticate");

  g_assert_cmpuint (r->status, ==, 401);
  g_assert_nonnull (challenge);
  if (flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO)
    g_assert_true (g_regex_match_simple ("^Digest realm=\"asyncesp\", qop=\"auth\", "
                                         "nonce=\"[0-9a-f]{32}\", opaque=\"[0-9a-f]{32}\"$",
                                         challenge, 0, 0));
  else
    g_assert_cmpstr (challenge, ==, "Basic realm=\"Login Required\"");
}

static char *
basic_header (const char *user,
              const char *password)
{
  g_autofree char *pair = g_strdup_printf ("%s:%s", user, password);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

  return g_strdup_printf ("Authorization: Basic %s\r\n", encoded);
}

static void
test_auth_basic (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(EspySimWebServer) server = new_server (flavour, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (8192, "2025.10.1", NULL, 2);
  g_autofree char *good = basic_header ("admin", "s3cret pass");
  g_autofree char *wrong = basic_header ("admin", "s3cret");
  g_autofree char *wrong_user = basic_header ("root", "s3cret pass");
  g_autoptr(Response) none = NULL;
  g_autoptr(Response) bad = NULL;
  g_autoptr(Response) bad_user = NULL;
  g_autoptr(Response) ok = NULL;
  g_autoptr(Response) page_none = NULL;
  g_autoptr(Response) page_ok = NULL;
  g_autoptr(Response) events_none = NULL;
  guint16 port;

  espy_sim_web_server_set_auth (server, "admin", "s3cret pass");
  start (server);
  port = espy_sim_web_server_get_port (server);

  none = upload (port, image, NULL);
  assert_challenge (none, flavour);
  bad = upload (port, image, wrong);
  assert_challenge (bad, flavour);
  bad_user = upload (port, image, wrong_user);
  assert_challenge (bad_user, flavour);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 0);

  /* Preemptive Basic works on both stacks. */
  ok = upload (port, image, good);
  g_assert_cmpuint (ok->status, ==, 200);
  assert_body (ok, "Update Successful!");

  page_none = get (port, "/", NULL);
  assert_challenge (page_none, flavour);
  page_ok = get (port, "/", good);
  g_assert_cmpuint (page_ok->status, ==, 200);
  events_none = get (port, "/events", NULL);
  assert_challenge (events_none, flavour);
}

/* RFC 2617 with qop=auth, computed here independently of the server. */
static char *
md5_of (const char *text)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);

  g_checksum_update (sum, (const guchar *) text, strlen (text));
  return g_strdup (g_checksum_get_string (sum));
}

static char *
challenge_param (const char *challenge,
                 const char *name)
{
  g_autofree char *pattern = g_strdup_printf ("%s=\"([^\"]*)\"", name);
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (!g_regex_match (regex, challenge, 0, &match))
    return NULL;
  return g_match_info_fetch (match, 1);
}

static char *
digest_header (const char *challenge,
               const char *user,
               const char *password,
               const char *method,
               const char *uri,
               const char *separator)
{
  g_autofree char *realm = challenge_param (challenge, "realm");
  g_autofree char *nonce = challenge_param (challenge, "nonce");
  g_autofree char *opaque = challenge_param (challenge, "opaque");
  g_autofree char *cnonce = g_strdup_printf ("%08x", g_random_int ());
  g_autofree char *a1 = g_strdup_printf ("%s:%s:%s", user, realm, password);
  g_autofree char *a2 = g_strdup_printf ("%s:%s", method, uri);
  g_autofree char *ha1 = md5_of (a1);
  g_autofree char *ha2 = md5_of (a2);
  g_autofree char *kd = g_strdup_printf ("%s:%s:00000001:%s:auth:%s", ha1, nonce, cnonce, ha2);
  g_autofree char *response = md5_of (kd);

  return g_strdup_printf ("Authorization: Digest username=\"%s\"%srealm=\"%s\"%snonce=\"%s\"%suri=\"%s\"%s"
                          "algorithm=MD5%sqop=auth%snc=00000001%scnonce=\"%s\"%sresponse=\"%s\"%sopaque=\"%s\"\r\n",
                          user, separator, realm, separator, nonce, separator, uri, separator,
                          separator, separator, separator, cnonce, separator, response, separator, opaque);
}

static void
test_auth_digest (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (8192, "2025.10.1", NULL, 2);
  g_autoptr(Response) first = NULL;
  g_autoptr(Response) spaced = NULL;
  g_autoptr(Response) tight = NULL;
  g_autoptr(Response) wrong = NULL;
  g_autoptr(Response) page = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *good = NULL;
  g_autofree char *no_space = NULL;
  g_autofree char *bad_password = NULL;
  g_autofree char *get_root = NULL;
  guint16 port;

  espy_sim_web_server_set_auth (server, "admin", "pw");
  start (server);
  port = espy_sim_web_server_get_port (server);

  first = upload (port, image, NULL);
  assert_challenge (first, ESPY_SIM_WEB_FLAVOUR_ARDUINO);
  challenge = header_get (first->head, "WWW-Authenticate");

  /* Without the space after each comma the device misparses: 401. */
  no_space = digest_header (challenge, "admin", "pw", "POST", "/update", ",");
  tight = upload (port, image, no_space);
  assert_challenge (tight, ESPY_SIM_WEB_FLAVOUR_ARDUINO);

  bad_password = digest_header (challenge, "admin", "nope", "POST", "/update", ", ");
  wrong = upload (port, image, bad_password);
  assert_challenge (wrong, ESPY_SIM_WEB_FLAVOUR_ARDUINO);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 0);

  good = digest_header (challenge, "admin", "pw", "POST", "/update", ", ");
  spaced = upload (port, image, good);
  g_assert_cmpuint (spaced->status, ==, 200);
  assert_body (spaced, "Update Successful!");

  /* The method is part of HA2. */
  get_root = digest_header (challenge, "admin", "pw", "GET", "/", ", ");
  page = get (port, "/", get_root);
  g_assert_cmpuint (page->status, ==, 200);
}

static void
test_auth_idf_rejects_digest (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ESP_IDF, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (8192, "2025.10.1", NULL, 2);
  g_autoptr(Response) r = NULL;
  g_autoptr(Response) lower = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *basic = basic_header ("admin", "pw");
  const char *challenge = "Digest realm=\"asyncesp\", qop=\"auth\", nonce=\"0123456789abcdef0123456789abcdef\", "
                          "opaque=\"fedcba9876543210fedcba9876543210\"";
  guint16 port;

  espy_sim_web_server_set_auth (server, "admin", "pw");
  start (server);
  port = espy_sim_web_server_get_port (server);
  digest = digest_header (challenge, "admin", "pw", "POST", "/update", ", ");
  r = upload (port, image, digest);
  assert_challenge (r, ESPY_SIM_WEB_FLAVOUR_ESP_IDF);

  /* esp_http_server compares "Basic " case-sensitively. */
  basic[15] = 'b';
  g_assert_true (g_str_has_prefix (basic, "Authorization: basic "));
  lower = upload (port, image, basic);
  assert_challenge (lower, ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
}

/* /events */

typedef struct {
  GSocketConnection *conn;
  EspySimWebFlavour flavour;
  char *head;
  GByteArray *raw;    /* as received, after the head */
  GByteArray *text;   /* the event stream, de-chunked */
} Events;

static void
events_free (Events *ev)
{
  g_clear_object (&ev->conn);
  g_free (ev->head);
  g_byte_array_unref (ev->raw);
  g_byte_array_unref (ev->text);
  g_free (ev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Events, events_free)

static void
events_receive (Events *ev)
{
  if (ev->flavour == ESPY_SIM_WEB_FLAVOUR_ESP_IDF)
    {
      gboolean last = FALSE;

      while (!dechunk_one (ev->raw, ev->text, &last))
        g_assert_true (receive_more (ev->conn, ev->raw));
      g_assert_false (last);
    }
  else
    {
      g_assert_true (receive_more (ev->conn, ev->raw));
      g_byte_array_append (ev->text, ev->raw->data, ev->raw->len);
      g_byte_array_set_size (ev->raw, 0);
    }
}

static Events *
events_open (guint16            port,
             EspySimWebFlavour  flavour,
             const char        *extra_headers)
{
  Events *ev = g_new0 (Events, 1);
  g_autofree char *req = g_strdup_printf ("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "Accept: text/event-stream\r\n%s\r\n",
                                          extra_headers ? extra_headers : "");
  g_autofree char *type = NULL;
  g_autofree char *encoding = NULL;

  ev->flavour = flavour;
  ev->conn = connect_to (port);
  ev->raw = g_byte_array_new ();
  ev->text = g_byte_array_new ();
  send_text (ev->conn, req);
  ev->head = read_head (ev->conn, ev->raw);
  g_assert_cmpuint (status_of (ev->head), ==, 200);
  type = header_get (ev->head, "Content-Type");
  g_assert_cmpstr (type, ==, "text/event-stream");
  encoding = header_get (ev->head, "Transfer-Encoding");
  if (flavour == ESPY_SIM_WEB_FLAVOUR_ESP_IDF)
    {
      g_assert_cmpstr (encoding, ==, "chunked");
      /* ESPHome's first chunk is a lone CRLF: a blank line to SSE. */
      while (ev->text->len < 2)
        events_receive (ev);
      g_assert_cmpmem (ev->text->data, 2, "\r\n", 2);
      g_byte_array_remove_range (ev->text, 0, 2);
    }
  else
    {
      g_assert_null (encoding);
      g_assert_null (header_get (ev->head, "Content-Length"));
      g_byte_array_append (ev->text, ev->raw->data, ev->raw->len);
      g_byte_array_set_size (ev->raw, 0);
    }
  return ev;
}

/* The next event's lines (CRLF-terminated on the wire, checked here). */
static GStrv
events_next (Events *ev)
{
  g_autofree char *block = NULL;
  gssize end;

  while ((end = find_bytes (ev->text, "\r\n\r\n")) < 0)
    events_receive (ev);
  block = g_strndup ((const char *) ev->text->data, end);
  g_byte_array_remove_range (ev->text, 0, end + 4);
  /* Every line ends in CRLF: no lone CR or LF inside. */
  {
    g_auto(GStrv) lines = g_strsplit (block, "\r\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_assert_null (strchr (lines[i], '\n'));
        g_assert_null (strchr (lines[i], '\r'));
      }
    return g_steal_pointer (&lines);
  }
}

/* Skips events until one named NAME; returns its lines. */
static GStrv
events_next_named (Events     *ev,
                   const char *name)
{
  g_autofree char *want = g_strdup_printf ("event: %s", name);

  for (;;)
    {
      g_auto(GStrv) lines = events_next (ev);

      if (g_strv_contains ((const char *const *) lines, want))
        return g_steal_pointer (&lines);
    }
}

/* The event's data lines rejoined with \n, as a client does; NULL if none. */
static char *
event_data (GStrv lines)
{
  GString *data = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "data: "))
      {
        if (data == NULL)
          data = g_string_new (lines[i] + 6);
        else
          g_string_append_printf (data, "\n%s", lines[i] + 6);
      }
  return data != NULL ? g_string_free (data, FALSE) : NULL;
}

static void
assert_event_header (GStrv       lines,
                     const char *name)
{
  g_autofree char *event = g_strdup_printf ("event: %s", name);

  g_assert_cmpstr (lines[0], ==, "retry: 30000");
  g_assert_true (g_str_has_prefix (lines[1], "id: "));
  g_assert_cmpuint (g_ascii_strtoull (lines[1] + 4, NULL, 10), >, 0);
  g_assert_cmpstr (lines[2], ==, event);
}

static void
test_events_first_ping (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(EspySimWebServer) server = new_server (flavour, NULL);
  g_autoptr(Events) ev = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ping = NULL;
  g_auto(GStrv) state = NULL;
  g_autofree char *json = NULL;
  g_autofree char *state_json = NULL;
  JsonObject *obj;

  espy_sim_web_server_set_comment (server, "on the \"shelf\"");
  espy_sim_web_server_set_state (server, "sensor-temperature", "21.5", "21.5 °C");
  start (server);
  ev = events_open (espy_sim_web_server_get_port (server), flavour, NULL);
  g_assert_cmpuint (espy_sim_web_server_get_event_client_count (server), ==, 1);

  ping = events_next (ev);
  g_assert_cmpuint (g_strv_length (ping), ==, 4);
  assert_event_header (ping, "ping");
  g_assert_true (g_str_has_prefix (ping[3], "data: {"));
  json = event_data (ping);
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (obj, "title"), ==, "Kitchen <sensor>");
  g_assert_cmpstr (json_object_get_string_member (obj, "comment"), ==, "on the \"shelf\"");
  g_assert_true (json_object_get_boolean_member (obj, "ota"));
  g_assert_true (json_object_get_boolean_member (obj, "log"));
  g_assert_cmpstr (json_object_get_string_member (obj, "lang"), ==, "en");

  /* Then every entity's state. */
  state = events_next (ev);
  assert_event_header (state, "state");
  state_json = event_data (state);
  g_assert_cmpstr (state_json, ==, "{\"id\":\"sensor-temperature\",\"value\":21.5,\"state\":\"21.5 °C\"}");
}

static void
test_events_empty_ping (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(EspySimWebServer) server = new_server (flavour, NULL);
  g_autoptr(Events) ev = NULL;
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) ping = NULL;

  espy_sim_web_server_set_ping_interval (server, 100);
  start (server);
  ev = events_open (espy_sim_web_server_get_port (server), flavour, NULL);
  first = events_next (ev);
  ping = events_next (ev);
  assert_event_header (ping, "ping");
  if (flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO)
    {
      g_assert_cmpuint (g_strv_length (ping), ==, 4);
      g_assert_cmpstr (ping[3], ==, "data: ");
    }
  else
    g_assert_cmpuint (g_strv_length (ping), ==, 3);
}

static void
test_events_logs (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autoptr(EspySimWebServer) server = new_server (flavour, NULL);
  g_autoptr(Events) ev = NULL;
  g_auto(GStrv) log1 = NULL;
  g_auto(GStrv) log2 = NULL;
  g_auto(GStrv) state = NULL;
  g_autofree char *text2 = NULL;
  g_autofree char *state_json = NULL;

  start (server);
  ev = events_open (espy_sim_web_server_get_port (server), flavour, NULL);
  g_strfreev (events_next (ev));

  espy_sim_web_server_emit_log (server, 'D', "tag", 42, "text");
  log1 = events_next (ev);
  assert_event_header (log1, "log");
  g_assert_cmpuint (g_strv_length (log1), ==, 4);
  g_assert_cmpstr (log1[3], ==, "data: \033[0;36m[D][tag:042]: text\033[0m");

  /* A config dump: one data line per line. */
  espy_sim_web_server_emit_log (server, 'C', "wifi", 1234, "WiFi:\n  SSID: 'home'\n  Channel: 6");
  log2 = events_next (ev);
  assert_event_header (log2, "log");
  g_assert_cmpuint (g_strv_length (log2), ==, 6);
  g_assert_cmpstr (log2[3], ==, "data: \033[0;35m[C][wifi:1234]: WiFi:");
  g_assert_cmpstr (log2[4], ==, "data:   SSID: 'home'");
  g_assert_cmpstr (log2[5], ==, "data:   Channel: 6\033[0m");
  text2 = event_data (log2);
  g_assert_cmpstr (text2, ==, "\033[0;35m[C][wifi:1234]: WiFi:\n  SSID: 'home'\n  Channel: 6\033[0m");

  /* A state change goes out live. */
  espy_sim_web_server_set_state (server, "binary_sensor-door", "true", "ON");
  state = events_next_named (ev, "state");
  state_json = event_data (state);
  g_assert_cmpstr (state_json, ==, "{\"id\":\"binary_sensor-door\",\"value\":true,\"state\":\"ON\"}");
}

static void
test_events_log_rate (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(Events) ev = NULL;
  g_autoptr(GRegex) line = g_regex_new ("^\033\\[[01];3[0-9]m\\[(E|W|I|C|D|V|VV)\\]\\[[a-z_.]+:[0-9]{3,}\\]: .*\033\\[0m$",
                                        0, 0, NULL);
  gint64 begin;
  guint n = 0;

  start (server);
  ev = events_open (espy_sim_web_server_get_port (server), ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_strfreev (events_next (ev));
  espy_sim_web_server_set_log_rate (server, 100);
  begin = g_get_monotonic_time ();
  while (n < 30)
    {
      g_auto(GStrv) log = events_next_named (ev, "log");
      g_autofree char *text = event_data (log);

      g_assert_true (g_regex_match (line, text, 0, NULL));
      n++;
    }
  /* 30 lines at 100/s: about 0.3 s. */
  g_assert_cmpint (g_get_monotonic_time () - begin, <, 3 * G_TIME_SPAN_SECOND);
  espy_sim_web_server_set_log_rate (server, 0);
}

/* stop() drops /events clients; start() again serves on the same port. */
static void
test_stop_restart (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ESP_IDF, NULL);
  g_autoptr(Events) ev = NULL;
  g_autoptr(Events) ev2 = NULL;
  g_autoptr(Response) r = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;
  guint8 byte;
  gssize n;

  start (server);
  port = espy_sim_web_server_get_port (server);
  ev = events_open (port, ESPY_SIM_WEB_FLAVOUR_ESP_IDF, NULL);
  ev2 = events_open (port, ESPY_SIM_WEB_FLAVOUR_ESP_IDF, NULL);
  g_strfreev (events_next (ev));
  g_assert_cmpuint (espy_sim_web_server_get_event_client_count (server), ==, 2);

  /* A second start is refused. */
  g_assert_false (espy_sim_web_server_start (server, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);

  espy_sim_web_server_stop (server);
  g_assert_false (espy_sim_web_server_is_running (server));
  g_assert_cmpuint (espy_sim_web_server_get_event_client_count (server), ==, 0);
  g_byte_array_set_size (ev->raw, 0);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (ev->conn)), &byte, 1, NULL, NULL)) > 0)
    ;
  g_assert_cmpint (n, ==, 0);

  /* Emitting to a stopped server is harmless. */
  espy_sim_web_server_emit_log (server, 'W', "x", 1, "nobody listens");

  start (server);
  g_assert_cmpuint (espy_sim_web_server_get_port (server), ==, port);
  r = get (port, "/", NULL);
  g_assert_cmpuint (r->status, ==, 200);
  espy_sim_web_server_stop (server);
  espy_sim_web_server_stop (server);
}

/* stop() while a throttled upload is paused mid-body. */
static void
test_stop_during_upload (void)
{
  g_autoptr(EspySimWebServer) server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(GBytes) image = espy_sim_make_image (64 * 1024, "2025.10.1", NULL, 4);
  g_autoptr(GBytes) body = multipart_body ("update", "firmware.bin", image, FALSE);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *head = NULL;
  guint8 buf[256];
  gssize n;

  espy_sim_web_server_set_flash_rate (server, 8 * 1024);
  start (server);
  conn = connect_to (espy_sim_web_server_get_port (server));
  head = g_strdup_printf ("POST /update HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", g_bytes_get_size (body));
  send_text (conn, head);
  send_bytes (conn, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  espy_sim_web_server_stop (server);

  /* No answer: the connection just ends (EOF or reset). */
  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, <=, 0);
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 0);
}

/* Dropping the last reference to a running server with clients attached. */
static void
test_unref_running (void)
{
  EspySimWebServer *server = new_server (ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_autoptr(Events) ev = NULL;

  espy_sim_web_server_set_log_rate (server, 500);
  start (server);
  ev = events_open (espy_sim_web_server_get_port (server), ESPY_SIM_WEB_FLAVOUR_ARDUINO, NULL);
  g_strfreev (events_next_named (ev, "log"));
  g_object_unref (server);
}

static void
test_format_log_line (void)
{
  static const struct {
    char level;
    const char *tag;
    guint line;
    const char *expected;
  } cases[] = {
    { 'E', "ota", 7, "\033[1;31m[E][ota:007]: x\033[0m" },
    { 'W', "wifi", 42, "\033[0;33m[W][wifi:042]: x\033[0m" },
    { 'I', "app", 100, "\033[0;32m[I][app:100]: x\033[0m" },
    { 'C', "logger", 1234, "\033[0;35m[C][logger:1234]: x\033[0m" },
    { 'D', "sensor", 94, "\033[0;36m[D][sensor:094]: x\033[0m" },
    { 'V', "api", 0, "\033[0;37m[V][api:000]: x\033[0m" },
    { 'v', "scheduler", 12, "\033[0;38m[VV][scheduler:012]: x\033[0m" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = espy_sim_format_log_line (cases[i].level, cases[i].tag, cases[i].line, "x");

      g_assert_cmpstr (line, ==, cases[i].expected);
    }
}

/* curl as a reference client */

static char *
write_temp_image (GBytes *image)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("espy-web-XXXXXX.bin", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, g_bytes_get_data (image, NULL), g_bytes_get_size (image), &error);
  g_assert_no_error (error);
  return path;
}

static char *
run_curl (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (err != NULL && *err != '\0')
    g_test_message ("curl: %s", err);
  return out;
}

static void
test_curl (gconstpointer data)
{
  EspySimWebFlavour flavour = GPOINTER_TO_INT (data);
  g_autofree char *curl = g_find_program_in_path ("curl");
  g_autoptr(GAsyncQueue) uploads = NULL;
  g_autoptr(EspySimWebServer) server = NULL;
  g_autoptr(GBytes) image = NULL;
  g_autoptr(GBytes) last = NULL;
  g_autofree char *path = NULL;
  g_autofree char *form = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *out_auth = NULL;
  g_autofree char *out_wrong = NULL;
  UploadCall *call;

  if (curl == NULL)
    {
      g_test_skip ("curl is not installed");
      return;
    }

  uploads = g_async_queue_new_full (upload_call_free);
  server = new_server (flavour, uploads);
  image = espy_sim_make_image (300 * 1024, "2026.1.0", NULL, 9);
  path = write_temp_image (image);
  form = g_strdup_printf ("update=@%s", path);
  espy_sim_web_server_set_auth (server, "admin", "pw");
  start (server);
  url = g_strdup_printf ("http://127.0.0.1:%u/update", espy_sim_web_server_get_port (server));

  {
    /* Digest where the device speaks it, else Basic. */
    const char *scheme = flavour == ESPY_SIM_WEB_FLAVOUR_ARDUINO ? "--digest" : "--basic";
    const char *const ok_argv[] = { curl, "-sS", "--noproxy", "*", scheme, "-u", "admin:pw",
                                    "-F", form, url, NULL };
    const char *const wrong_argv[] = { curl, "-sS", "--noproxy", "*", scheme, "-u", "admin:no",
                                       "-o", "/dev/null", "-w", "%{http_code}", "-F", form, url, NULL };

    out_wrong = run_curl (wrong_argv);
    g_assert_cmpstr (out_wrong, ==, "401");
    out_auth = run_curl (ok_argv);
    g_assert_cmpstr (out_auth, ==, "Update Successful!");
  }
  call = pop_upload (uploads);
  g_assert_true (call->ok);
  upload_call_free (call);

  espy_sim_web_server_set_auth (server, NULL, NULL);
  {
    const char *const argv[] = { curl, "-sS", "--noproxy", "*", "-F", form, url, NULL };

    out = run_curl (argv);
    g_assert_cmpstr (out, ==, "Update Successful!");
  }
  last = espy_sim_web_server_dup_last_image (server);
  g_assert_true (g_bytes_equal (last, image));
  g_assert_cmpuint (espy_sim_web_server_get_upload_count (server), ==, 2);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  static const struct {
    const char *name;
    EspySimWebFlavour flavour;
  } flavours[] = {
    { "arduino", ESPY_SIM_WEB_FLAVOUR_ARDUINO },
    { "esp-idf", ESPY_SIM_WEB_FLAVOUR_ESP_IDF },
  };

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (flavours); i++)
    {
      gconstpointer f = GINT_TO_POINTER (flavours[i].flavour);
      const char *n = flavours[i].name;
      g_autofree char *upload_ok = g_strdup_printf ("/sim-web/%s/upload-ok", n);
      g_autofree char *root = g_strdup_printf ("/sim-web/%s/root-and-404", n);
      g_autofree char *basic = g_strdup_printf ("/sim-web/%s/auth-basic", n);
      g_autofree char *ping = g_strdup_printf ("/sim-web/%s/events-first-ping", n);
      g_autofree char *empty = g_strdup_printf ("/sim-web/%s/events-empty-ping", n);
      g_autofree char *logs = g_strdup_printf ("/sim-web/%s/events-logs", n);
      g_autofree char *curl = g_strdup_printf ("/sim-web/%s/curl", n);

      g_test_add_data_func (upload_ok, f, test_upload_ok);
      g_test_add_data_func (root, f, test_root_and_not_found);
      g_test_add_data_func (basic, f, test_auth_basic);
      g_test_add_data_func (ping, f, test_events_first_ping);
      g_test_add_data_func (empty, f, test_events_empty_ping);
      g_test_add_data_func (logs, f, test_events_logs);
      g_test_add_data_func (curl, f, test_curl);
    }
  g_test_add_func ("/sim-web/upload-bodies", test_upload_bodies);
  g_test_add_func ("/sim-web/upload-chunked", test_upload_chunked);
  g_test_add_func ("/sim-web/upload-no-file", test_upload_no_file);
  g_test_add_func ("/sim-web/upload-flash-rate", test_upload_flash_rate);
  g_test_add_func ("/sim-web/ota-disabled", test_ota_disabled);
  g_test_add_func ("/sim-web/arduino/auth-digest", test_auth_digest);
  g_test_add_func ("/sim-web/esp-idf/auth-rejects-digest", test_auth_idf_rejects_digest);
  g_test_add_func ("/sim-web/events-log-rate", test_events_log_rate);
  g_test_add_func ("/sim-web/stop-restart", test_stop_restart);
  g_test_add_func ("/sim-web/stop-during-upload", test_stop_during_upload);
  g_test_add_func ("/sim-web/unref-running", test_unref_running);
  g_test_add_func ("/sim-web/format-log-line", test_format_log_line);

  return g_test_run ();
}

/* test-web-ota-client.c: the web_server OTA client against a scripted HTTP
 * server in this file. The server records the raw request bytes and the
 * tests check them against the wire doc (section 2) by hand: multipart
 * framing, the part's headers, the image byte for byte, Basic and Digest
 * authorization as an Arduino device parses them.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "espy-web-ota-client.h"
#include "scripted-server.h"

#define USER     "admin"
#define PASSWORD "s3cret pässword"
#define NONCE    "6e6f6e63656e6f6e63656e6f6e63656e"
#define OPAQUE   "6f70617175656f70617175656f706171"

/* --- the scripted device ---------------------------------------------------- */

typedef enum {
  SCRIPT_SUCCESS,          /* 200 "Update Successful!" with Content-Length */
  SCRIPT_SUCCESS_DROP,     /* 200, Content-Length larger than the text, then close */
  SCRIPT_FAILED_REASON,    /* 200 "Update Failed: Wrong Magic Byte\r\n" (Arduino ESP32) */
  SCRIPT_FAILED_ESP8266,   /* 200 "Update Failed: ERROR[10]: Magic byte is wrong, not 0xE9\r\n" */
  SCRIPT_FAILED_BARE,      /* 200 "Update Failed!" (newer firmware) */
  SCRIPT_NOT_FOUND,        /* 404: no web OTA */
  SCRIPT_SERVER_ERROR,     /* 500 */
  SCRIPT_NOT_ESPHOME,      /* 200 "<html>..." */
  SCRIPT_ESP_IDF_AUTH,     /* Basic only: 401 Basic realm="Login Required" unless it matches */
  SCRIPT_ARDUINO_AUTH,     /* Basic or Digest accepted; 401 with a Digest challenge */
  SCRIPT_DIGEST_ONLY,      /* like Arduino, but refuses Basic */
  SCRIPT_STALL,            /* reads the request, never answers */
} Script;

typedef struct
{
  char *head;       /* request line and headers, up to and without the blank line */
  GBytes *body;
  char *authorization;
  gboolean auth_ok;
} Request;

typedef struct
{
  ScriptedServer base;  /* first: the serve function is given it */
  Script script;

  GPtrArray *requests;  /* of Request, under lock */
} Server;

static void
request_free (gpointer data)
{
  Request *req = data;

  g_free (req->head);
  g_bytes_unref (req->body);
  g_free (req->authorization);
  g_free (req);
}

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* Arduino's checkDigestAuthentication(), as the wire doc describes it: the
 * parameters are split on ", " exactly; a value in quotes loses its first
 * and last character. Anything that does not parse is a rejection. */
static gboolean
arduino_check_digest (const char *header,
                      const char *method,
                      const char *user,
                      const char *password)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) parts = NULL;
  g_autofree char *ha1_in = NULL;
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2_in = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *response_in = NULL;
  g_autofree char *expected = NULL;
  const char *names[] = { "username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "opaque" };

  if (header == NULL || !g_str_has_prefix (header, "Digest "))
    return FALSE;
  parts = g_strsplit (header + strlen ("Digest "), ", ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      g_autofree char *value = NULL;

      if (eq == NULL)
        return FALSE;
      value = g_strdup (eq + 1);
      if (value[0] == '"')
        {
          gsize n = strlen (value);

          if (n < 2 || value[n - 1] != '"')
            return FALSE;
          memmove (value, value + 1, n - 2);
          value[n - 2] = '\0';
        }
      g_hash_table_replace (params, g_strndup (parts[i], eq - parts[i]), g_steal_pointer (&value));
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (!g_hash_table_contains (params, names[i]))
      return FALSE;
  if (g_strcmp0 (g_hash_table_lookup (params, "username"), user) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "realm"), "asyncesp") != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "nonce"), NONCE) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "opaque"), OPAQUE) != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "uri"), "/update") != 0 ||
      g_strcmp0 (g_hash_table_lookup (params, "qop"), "auth") != 0)
    return FALSE;

  /* RFC 2617 with qop=auth, computed here rather than trusted from libsoup. */
  ha1_in = g_strdup_printf ("%s:asyncesp:%s", user, password);
  ha1 = md5_hex (ha1_in);
  ha2_in = g_strdup_printf ("%s:/update", method);
  ha2 = md5_hex (ha2_in);
  response_in = g_strdup_printf ("%s:%s:%s:%s:auth:%s", ha1, NONCE,
                                 (char *) g_hash_table_lookup (params, "nc"),
                                 (char *) g_hash_table_lookup (params, "cnonce"), ha2);
  expected = md5_hex (response_in);
  return g_strcmp0 (g_hash_table_lookup (params, "response"), expected) == 0;
}

static char *
basic_expected (void)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) USER ":" PASSWORD, strlen (USER ":" PASSWORD));

  return g_strconcat ("Basic ", encoded, NULL);
}

static gboolean
send_all (GSocket    *socket,
          const char *data,
          gsize       len)
{
  while (len > 0)
    {
      gssize n = g_socket_send (socket, data, len, NULL, NULL);

      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

static void
send_response (GSocket    *socket,
               const char *status,
               const char *extra_headers,
               const char *body,
               gssize      content_length)
{
  g_autofree char *response = NULL;

  if (content_length < 0)
    content_length = strlen (body);
  response = g_strdup_printf ("HTTP/1.1 %s\r\n%sContent-Type: text/plain\r\nContent-Length: %" G_GSSIZE_FORMAT "\r\n"
                              "Connection: close\r\n\r\n%s",
                              status, extra_headers, content_length, body);
  send_all (socket, response, strlen (response));
}

static const char *
find_header (const char *head,
             const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s:", name);
  const char *p = strstr (head, needle);

  if (p == NULL)
    return NULL;
  p += strlen (needle);
  while (*p == ' ')
    p++;
  return p;
}

static char *
dup_header (const char *head,
            const char *name)
{
  const char *p = find_header (head, name);

  return p != NULL ? g_strndup (p, strcspn (p, "\r")) : NULL;
}

/* Reads one request; NULL when the client went away. */
static Request *
read_request (GSocket *socket)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  char chunk[16384];
  const guint8 *end = NULL;
  gsize head_len;
  g_autofree char *length_text = NULL;
  gsize content_length;
  Request *req;

  while (end == NULL)
    {
      gssize n = g_socket_receive (socket, chunk, sizeof chunk, NULL, NULL);

      if (n <= 0)
        return NULL;
      g_byte_array_append (buf, (guint8 *) chunk, n);
      for (gsize i = 0; i + 4 <= buf->len; i++)
        if (memcmp (buf->data + i, "\r\n\r\n", 4) == 0)
          {
            end = buf->data + i;
            break;
          }
    }
  head_len = end - buf->data;

  req = g_new0 (Request, 1);
  req->head = g_strndup ((char *) buf->data, head_len);
  length_text = dup_header (req->head, "Content-Length");
  content_length = length_text != NULL ? g_ascii_strtoull (length_text, NULL, 10) : 0;

  while (buf->len < head_len + 4 + content_length)
    {
      gssize n = g_socket_receive (socket, chunk, sizeof chunk, NULL, NULL);

      if (n <= 0)
        break;
      g_byte_array_append (buf, (guint8 *) chunk, n);
    }
  req->body = g_bytes_new (buf->data + head_len + 4, buf->len - head_len - 4);
  req->authorization = dup_header (req->head, "Authorization");
  return req;
}

static void
serve_one (ScriptedServer *base,
           GSocket        *socket)
{
  Server *server = (Server *) base;
  Request *req = read_request (socket);
  const char *digest_challenge =
    "WWW-Authenticate: Digest realm=\"asyncesp\", qop=\"auth\", nonce=\"" NONCE "\", opaque=\"" OPAQUE "\"\r\n";
  g_autofree char *basic = basic_expected ();

  if (req == NULL)
    return;

  switch (server->script)
    {
    case SCRIPT_ESP_IDF_AUTH:
      req->auth_ok = g_strcmp0 (req->authorization, basic) == 0;
      break;
    case SCRIPT_ARDUINO_AUTH:
      req->auth_ok = g_strcmp0 (req->authorization, basic) == 0 ||
                     arduino_check_digest (req->authorization, "POST", USER, PASSWORD);
      break;
    case SCRIPT_DIGEST_ONLY:
      req->auth_ok = arduino_check_digest (req->authorization, "POST", USER, PASSWORD);
      break;
    case SCRIPT_SUCCESS:
    case SCRIPT_SUCCESS_DROP:
    case SCRIPT_FAILED_REASON:
    case SCRIPT_FAILED_ESP8266:
    case SCRIPT_FAILED_BARE:
    case SCRIPT_NOT_FOUND:
    case SCRIPT_SERVER_ERROR:
    case SCRIPT_NOT_ESPHOME:
    case SCRIPT_STALL:
    default:
      req->auth_ok = TRUE;
      break;
    }

  g_mutex_lock (&server->base.lock);
  g_ptr_array_add (server->requests, req);
  g_mutex_unlock (&server->base.lock);

  if (!req->auth_ok)
    {
      if (server->script == SCRIPT_ESP_IDF_AUTH)
        send_response (socket, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"Login Required\"\r\n", "", -1);
      else
        send_response (socket, "401 Unauthorized", digest_challenge, "", -1);
      return;
    }

  switch (server->script)
    {
    case SCRIPT_SUCCESS:
    case SCRIPT_ESP_IDF_AUTH:
    case SCRIPT_ARDUINO_AUTH:
    case SCRIPT_DIGEST_ONLY:
      send_response (socket, "200 OK", "", "Update Successful!", -1);
      break;
    case SCRIPT_SUCCESS_DROP:
      /* The device reboots before the client has read "all" of it. */
      send_response (socket, "200 OK", "", "Update Successful!\r\n", 400);
      break;
    case SCRIPT_FAILED_REASON:
      send_response (socket, "200 OK", "", "Update Failed: Wrong Magic Byte\r\n", -1);
      break;
    case SCRIPT_FAILED_ESP8266:
      send_response (socket, "200 OK", "", "Update Failed: ERROR[10]: Magic byte is wrong, not 0xE9\r\n", -1);
      break;
    case SCRIPT_FAILED_BARE:
      send_response (socket, "200 OK", "", "Update Failed!", -1);
      break;
    case SCRIPT_NOT_FOUND:
      send_response (socket, "404 Not Found", "", "Not Found", -1);
      break;
    case SCRIPT_SERVER_ERROR:
      send_response (socket, "500 Internal Server Error", "", "oops", -1);
      break;
    case SCRIPT_NOT_ESPHOME:
      send_response (socket, "200 OK", "", "<html><body>Router login</body></html>", -1);
      break;
    case SCRIPT_STALL:
      g_mutex_lock (&server->base.lock);
      while (!server->base.stop)
        g_cond_wait (&server->base.cond, &server->base.lock);
      g_mutex_unlock (&server->base.lock);
      break;
    default:
      g_assert_not_reached ();
    }
}

static Server *
server_new (Script script)
{
  Server *server = g_new0 (Server, 1);

  server->script = script;
  server->requests = g_ptr_array_new_with_free_func (request_free);
  scripted_server_start (&server->base, "scripted-device", serve_one);
  return server;
}

static void
server_free (Server *server)
{
  scripted_server_stop (&server->base);
  g_ptr_array_unref (server->requests);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static Request *
server_request (Server *server,
                guint   index)
{
  Request *req;

  g_mutex_lock (&server->base.lock);
  g_assert_cmpuint (index, <, server->requests->len);
  req = server->requests->pdata[index];
  g_mutex_unlock (&server->base.lock);
  return req;
}

static guint
server_request_count (Server *server)
{
  guint n;

  g_mutex_lock (&server->base.lock);
  n = server->requests->len;
  g_mutex_unlock (&server->base.lock);
  return n;
}

/* --- images ----------------------------------------------------------------- */

static GBytes *
make_image_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 31 + 7) & 0xFF);
  data[0] = 0xE9;
  /* Things a sloppy multipart writer or reader could trip over. */
  memcpy (data + 1000, "\r\n--", 4);
  memcpy (data + 2000, "\r\n\r\n", 4);
  return g_bytes_new_take (data, size);
}

static EspyFirmwareImage *
make_image (gsize size)
{
  g_autoptr(GBytes) bytes = make_image_bytes (size);
  g_autoptr(GError) error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_new_from_bytes (bytes, "firmware.bin", &error);

  g_assert_no_error (error);
  return image;
}

/* --- running the client ------------------------------------------------------ */

typedef struct
{
  GMainLoop *loop;
  gboolean done;
  gboolean ok;
  GError *error;
  GArray *stages;      /* of guint */
  guint64 last_sent;
  guint64 last_total;
  guint progress_count;
  gboolean progress_went_back;
} Run;

static void
on_stage (EspyWebOtaClient *client,
          guint             stage,
          gpointer          data)
{
  Run *run = data;

  g_array_append_val (run->stages, stage);
  /* A new pass (Digest retry) may start over. */
  if (stage == ESPY_OTA_STAGE_CONNECT)
    run->last_sent = 0;
}

static void
on_progress (EspyWebOtaClient *client,
             guint64           sent,
             guint64           total,
             gpointer          data)
{
  Run *run = data;

  if (run->progress_count > 0 && sent < run->last_sent)
    run->progress_went_back = TRUE;
  g_assert_cmpuint (sent, <=, total);
  run->last_sent = sent;
  run->last_total = total;
  run->progress_count++;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Run *run = data;

  run->ok = espy_web_ota_client_upload_finish (ESPY_WEB_OTA_CLIENT (source), result, &run->error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_error (&run->error);
  g_clear_pointer (&run->stages, g_array_unref);
}

static void
run_upload (EspyWebOtaClient  *client,
            EspyFirmwareImage *image,
            GFile             *file,
            GCancellable      *cancellable,
            Run               *run)
{
  gulong stage_id;
  gulong progress_id;

  memset (run, 0, sizeof *run);
  run->loop = g_main_loop_new (NULL, FALSE);
  run->stages = g_array_new (FALSE, FALSE, sizeof (guint));
  stage_id = g_signal_connect (client, "stage-changed", G_CALLBACK (on_stage), run);
  progress_id = g_signal_connect (client, "progress", G_CALLBACK (on_progress), run);

  if (image != NULL)
    espy_web_ota_client_upload_async (client, image, cancellable, on_done, run);
  else
    espy_web_ota_client_upload_file_async (client, file, cancellable, on_done, run);
  if (!run->done)
    g_main_loop_run (run->loop);

  g_signal_handler_disconnect (client, stage_id);
  g_signal_handler_disconnect (client, progress_id);
}

static EspyWebOtaClient *
client_for (Server *server)
{
  EspyWebOtaClient *client = espy_web_ota_client_new ("127.0.0.1", server->base.port);

  espy_web_ota_client_set_timeouts (client, 5000, 10000);
  return client;
}

/* The request as the wire doc wants it, checked byte by byte. */
static void
assert_upload_request (Request           *req,
                       EspyFirmwareImage *image)
{
  g_autofree char *content_type = dup_header (req->head, "Content-Type");
  g_autofree char *content_length = dup_header (req->head, "Content-Length");
  g_autofree char *boundary = NULL;
  g_autofree char *opening = NULL;
  g_autofree char *closing = NULL;
  g_autofree char *part_head = NULL;
  const char *boundary_param;
  gsize body_len;
  const char *body = g_bytes_get_data (req->body, &body_len);
  const char *part_end = NULL;
  gsize image_len;
  const guint8 *image_data = g_bytes_get_data (espy_firmware_image_get_bytes (image), &image_len);
  const char *part_data;

  g_assert_true (g_str_has_prefix (req->head, "POST /update HTTP/1.1\r\n"));
  g_assert_nonnull (find_header (req->head, "Host"));

  /* Content-Type: multipart/form-data; boundary=... with a valid boundary. */
  g_assert_nonnull (content_type);
  g_assert_true (g_str_has_prefix (content_type, "multipart/form-data;"));
  boundary_param = strstr (content_type, "boundary=");
  g_assert_nonnull (boundary_param);
  boundary = g_strdup (boundary_param + strlen ("boundary="));
  if (boundary[0] == '"')
    {
      g_assert_true (g_str_has_suffix (boundary, "\""));
      memmove (boundary, boundary + 1, strlen (boundary));
      boundary[strlen (boundary) - 1] = '\0';
    }
  /* RFC 2046: 1 to 70 bchars, not ending in a space. */
  g_assert_cmpuint (strlen (boundary), >=, 1);
  g_assert_cmpuint (strlen (boundary), <=, 70);
  for (const char *p = boundary; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || strchr ("'()+_,-./:=? ", *p) != NULL);
  g_assert_cmpint (boundary[strlen (boundary) - 1], !=, ' ');

  g_assert_nonnull (content_length);
  g_assert_cmpuint (g_ascii_strtoull (content_length, NULL, 10), ==, body_len);

  /* --boundary CRLF part-headers CRLF CRLF image CRLF --boundary-- CRLF */
  opening = g_strdup_printf ("--%s\r\n", boundary);
  closing = g_strdup_printf ("\r\n--%s--\r\n", boundary);
  g_assert_cmpuint (body_len, >, strlen (opening) + strlen (closing) + image_len);
  g_assert_cmpint (memcmp (body, opening, strlen (opening)), ==, 0);
  for (const char *p = body; p + 4 <= body + body_len; p++)
    if (memcmp (p, "\r\n\r\n", 4) == 0)
      {
        part_end = p;
        break;
      }
  g_assert_nonnull (part_end);
  part_head = g_strndup (body + strlen (opening), part_end - (body + strlen (opening)));

  {
    g_auto(GStrv) lines = g_strsplit (part_head, "\r\n", -1);
    gboolean disposition = FALSE;
    gboolean octet = FALSE;

    for (guint i = 0; lines[i] != NULL; i++)
      {
        if (g_ascii_strncasecmp (lines[i], "Content-Disposition:", 20) == 0)
          {
            g_assert_nonnull (strstr (lines[i], " form-data;"));
            g_assert_nonnull (strstr (lines[i], "; name=\"update\""));
            g_assert_nonnull (strstr (lines[i], "; filename=\"firmware.bin\""));
            disposition = TRUE;
          }
        else if (g_ascii_strncasecmp (lines[i], "Content-Type:", 13) == 0)
          {
            g_assert_cmpstr (lines[i] + 13 + strspn (lines[i] + 13, " "), ==, "application/octet-stream");
            octet = TRUE;
          }
      }
    g_assert_true (disposition);
    g_assert_true (octet);
  }

  part_data = part_end + 4;
  g_assert_cmpuint (body + body_len - part_data, ==, image_len + strlen (closing));
  g_assert_cmpint (memcmp (part_data, image_data, image_len), ==, 0);
  g_assert_cmpint (memcmp (part_data + image_len, closing, strlen (closing)), ==, 0);
  /* The boundary is once at the start and once at the end, nowhere else. */
  g_assert_cmpint (memcmp (body + body_len - strlen (closing), closing, strlen (closing)), ==, 0);
}

static void
assert_stages (Run                *run,
               const EspyOtaStage *expected,
               guint               n)
{
  g_assert_cmpuint (run->stages->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (g_array_index (run->stages, guint, i), ==, expected[i]);
}

/* --- tests ------------------------------------------------------------------ */

static void
test_success (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_SUCCESS);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (300 * 1024 + 17);
  const EspyOtaStage stages[] = {
    ESPY_OTA_STAGE_CONNECT, ESPY_OTA_STAGE_UPLOAD, ESPY_OTA_STAGE_VERIFY, ESPY_OTA_STAGE_REBOOT, ESPY_OTA_STAGE_DONE,
  };
  Run run;

  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);

  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  assert_upload_request (server_request (server, 0), image);
  g_assert_null (server_request (server, 0)->authorization);

  assert_stages (&run, stages, G_N_ELEMENTS (stages));
  g_assert_false (run.progress_went_back);
  g_assert_cmpuint (run.progress_count, >, 2);
  g_assert_cmpuint (run.last_sent, ==, espy_firmware_image_get_size (image));
  g_assert_cmpuint (run.last_total, ==, espy_firmware_image_get_size (image));
  g_assert_cmpuint (espy_web_ota_client_get_bytes_sent (client), ==, espy_firmware_image_get_size (image));
  g_assert_cmpuint (espy_web_ota_client_get_http_status (client), ==, 200);
  g_assert_cmpstr (espy_web_ota_client_get_response (client), ==, "Update Successful!");
  g_assert_cmpint (espy_web_ota_client_get_failed_stage (client), ==, ESPY_OTA_STAGE_IDLE);
  run_clear (&run);

  /* The same client uploads again (a second install). */
  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 2);
  assert_upload_request (server_request (server, 1), image);
  run_clear (&run);
}

static void
test_success_from_file (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_SUCCESS);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (64 * 1024);
  g_autofree char *dir = g_dir_make_tmp ("espy-web-ota-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "firmware.ota.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gsize len;
  const char *data = g_bytes_get_data (espy_firmware_image_get_bytes (image), &len);
  Run run;

  g_assert_true (g_file_set_contents (path, data, len, NULL));
  run_upload (client, NULL, file, NULL, &run);
  g_assert_no_error (run.error);
  assert_upload_request (server_request (server, 0), image);
  run_clear (&run);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_basic_preemptive (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ARDUINO_AUTH);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (40000);
  g_autofree char *expected = basic_expected ();
  Run run;

  espy_web_ota_client_set_credentials (client, USER, PASSWORD);
  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);

  /* One request, authorized up front: the image is sent once. */
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  g_assert_cmpstr (server_request (server, 0)->authorization, ==, expected);
  /* "admin:s3cret pässword" in UTF-8, base64, computed by hand. */
  g_assert_cmpstr (expected, ==, "Basic YWRtaW46czNjcmV0IHDDpHNzd29yZA==");
  assert_upload_request (server_request (server, 0), image);
  run_clear (&run);
}

static void
test_basic_esp_idf (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ESP_IDF_AUTH);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (40000);
  Run run;

  espy_web_ota_client_set_credentials (client, USER, PASSWORD);
  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  run_clear (&run);
}

static void
test_digest (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_DIGEST_ONLY);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (70000);
  g_autofree char *no_space = NULL;
  Request *first;
  Request *second;
  const char *auth;
  const EspyOtaStage stages[] = {
    ESPY_OTA_STAGE_CONNECT, ESPY_OTA_STAGE_UPLOAD, ESPY_OTA_STAGE_VERIFY,
    ESPY_OTA_STAGE_CONNECT, ESPY_OTA_STAGE_UPLOAD, ESPY_OTA_STAGE_VERIFY,
    ESPY_OTA_STAGE_REBOOT, ESPY_OTA_STAGE_DONE,
  };
  Run run;

  espy_web_ota_client_set_credentials (client, USER, PASSWORD);
  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);

  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 2);
  first = server_request (server, 0);
  second = server_request (server, 1);
  g_assert_false (first->auth_ok);
  g_assert_true (g_str_has_prefix (first->authorization, "Basic "));
  g_assert_true (second->auth_ok);

  /* The retry carries the whole image again, not libsoup's empty restart. */
  assert_upload_request (first, image);
  assert_upload_request (second, image);

  /* Every parameter separated by a comma AND a space, none by a bare comma. */
  auth = second->authorization;
  g_assert_true (g_str_has_prefix (auth, "Digest "));
  g_assert_nonnull (strstr (auth, "username=\"" USER "\", "));
  g_assert_nonnull (strstr (auth, "realm=\"asyncesp\""));
  g_assert_nonnull (strstr (auth, "uri=\"/update\""));
  for (const char *p = auth; *p != '\0'; p++)
    if (*p == ',')
      g_assert_cmpint (p[1], ==, ' ');
  g_assert_nonnull (strstr (auth, "qop=auth"));
  g_assert_nonnull (strstr (auth, "nc=00000001"));

  /* The same header without the spaces fails an Arduino device: the check
   * above is what keeps us working. */
  {
    g_auto(GStrv) parts = g_strsplit (auth, ", ", -1);

    no_space = g_strjoinv (",", parts);
  }
  g_assert_true (arduino_check_digest (auth, "POST", USER, PASSWORD));
  g_assert_false (arduino_check_digest (no_space, "POST", USER, PASSWORD));
  g_assert_false (arduino_check_digest (auth, "POST", USER, "wrong"));

  /* Progress starts over with the second pass, and only after CONNECT. */
  assert_stages (&run, stages, G_N_ELEMENTS (stages));
  g_assert_false (run.progress_went_back);
  g_assert_cmpuint (run.last_sent, ==, espy_firmware_image_get_size (image));
  run_clear (&run);
}

static void
test_wrong_credentials_digest (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ARDUINO_AUTH);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  Run run;

  espy_web_ota_client_set_credentials (client, USER, "not the password");
  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS);
  g_assert_nonnull (strstr (run.error->message, "rejected the user name or password"));
  g_assert_null (strstr (run.error->message, "not the password"));
  /* Basic, then one Digest answer: never a loop. */
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 2);
  g_assert_true (g_str_has_prefix (server_request (server, 1)->authorization, "Digest "));
  g_assert_cmpint (espy_web_ota_client_get_http_status (client), ==, 401);
  run_clear (&run);
}

static void
test_wrong_credentials_basic (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ESP_IDF_AUTH);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  Run run;

  espy_web_ota_client_set_credentials (client, "someone", PASSWORD);
  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS);
  g_assert_null (strstr (run.error->message, PASSWORD));
  /* A Basic-only device gets no second try. */
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  run_clear (&run);
}

static void
test_auth_required (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_ARDUINO_AUTH);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  Run run;

  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_AUTH_REQUIRED);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 1);
  g_assert_null (server_request (server, 0)->authorization);
  run_clear (&run);
}

static void
test_update_failed (void)
{
  static const struct {
    Script script;
    const char *reason;
  } cases[] = {
    { SCRIPT_FAILED_REASON, "Wrong Magic Byte" },
    { SCRIPT_FAILED_ESP8266, "ERROR[10]: Magic byte is wrong, not 0xE9" },
    { SCRIPT_FAILED_BARE, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Server) server = server_new (cases[i].script);
      g_autoptr(EspyWebOtaClient) client = client_for (server);
      g_autoptr(EspyFirmwareImage) image = make_image (20000);
      Run run;

      run_upload (client, image, NULL, NULL, &run);
      g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UPDATE_FAILED);
      if (cases[i].reason != NULL)
        {
          g_autofree char *quoted = g_strdup_printf ("“%s”", cases[i].reason);

          g_assert_nonnull (strstr (run.error->message, quoted));
        }
      else
        g_assert_nonnull (strstr (run.error->message, "without giving a reason"));
      g_assert_cmpint (espy_web_ota_client_get_failed_stage (client), ==, ESPY_OTA_STAGE_VERIFY);
      assert_upload_request (server_request (server, 0), image);
      run_clear (&run);
    }
}

static void
test_no_web_ota (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_NOT_FOUND);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  Run run;

  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_NO_WEB_OTA);
  g_assert_nonnull (strstr (run.error->message, "does not accept firmware uploads"));
  g_assert_nonnull (strstr (run.error->message, "`ota: - platform: web_server`"));
  g_assert_cmpstr (espy_web_ota_error_to_nick (run.error->code), ==, "no-web-ota");
  run_clear (&run);
}

static void
test_unexpected (void)
{
  Script scripts[] = { SCRIPT_SERVER_ERROR, SCRIPT_NOT_ESPHOME };

  for (guint i = 0; i < G_N_ELEMENTS (scripts); i++)
    {
      g_autoptr(Server) server = server_new (scripts[i]);
      g_autoptr(EspyWebOtaClient) client = client_for (server);
      g_autoptr(EspyFirmwareImage) image = make_image (20000);
      Run run;

      run_upload (client, image, NULL, NULL, &run);
      g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE);
      g_assert_false (run.ok);
      run_clear (&run);
    }
}

static void
test_success_then_drop (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_SUCCESS_DROP);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (50000);
  Run run;

  run_upload (client, image, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpint (espy_web_ota_client_get_stage (client), ==, ESPY_OTA_STAGE_DONE);
  run_clear (&run);
}

static void
test_stall_timeout (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_STALL);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  gint64 started;
  Run run;

  espy_web_ota_client_set_timeouts (client, 2000, 300);
  started = g_get_monotonic_time ();
  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_TIMEOUT);
  g_assert_cmpint (espy_web_ota_client_get_failed_stage (client), ==, ESPY_OTA_STAGE_VERIFY);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
  /* The whole image went out before the silence. */
  g_assert_cmpuint (run.last_sent, ==, espy_firmware_image_get_size (image));
  run_clear (&run);
}

static void
test_cancel (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_STALL);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Run run;

  g_timeout_add_once (200, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  run_upload (client, image, NULL, cancellable, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  run_clear (&run);
}

static void
test_connect_refused (void)
{
  g_autoptr(EspyFirmwareImage) image = make_image (20000);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(EspyWebOtaClient) client = NULL;
  guint16 port;
  Run run;

  /* A port that was just free: nothing listens there. */
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  client = espy_web_ota_client_new ("127.0.0.1", port);
  run_upload (client, image, NULL, NULL, &run);
  g_assert_error (run.error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_CONNECT);
  g_assert_cmpint (espy_web_ota_client_get_failed_stage (client), ==, ESPY_OTA_STAGE_CONNECT);
  g_assert_cmpuint (run.progress_count, ==, 0);
  run_clear (&run);
}

static void
test_factory_image_refused (void)
{
  g_autoptr(Server) server = server_new (SCRIPT_SUCCESS);
  g_autoptr(EspyWebOtaClient) client = client_for (server);
  g_autofree char *dir = g_dir_make_tmp ("espy-web-ota-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "firmware.factory.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gsize size = 0x10000;
  g_autofree guint8 *data = g_malloc0 (size);
  Run run;

  /* Bootloader at 0x0, a partition table at 0x8000 with a plausible first
   * entry (type app, offset 0x10000). */
  data[0] = 0xE9;
  data[0x8000] = 0xAA;
  data[0x8001] = 0x50;
  data[0x8002] = 0x00;
  data[0x8004 + 2] = 0x01;
  g_assert_true (g_file_set_contents (path, (char *) data, size, NULL));

  run_upload (client, NULL, file, NULL, &run);
  g_assert_error (run.error, ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_FACTORY_IMAGE);
  /* Refused before connecting. */
  g_assert_cmpuint (run.stages->len, ==, 0);
  g_usleep (100 * 1000);
  g_assert_cmpint (g_atomic_int_get (&server->base.connections), ==, 0);
  g_assert_cmpuint (server_request_count (server), ==, 0);
  run_clear (&run);

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/web-ota/success", test_success);
  g_test_add_func ("/web-ota/success-from-file", test_success_from_file);
  g_test_add_func ("/web-ota/basic-preemptive", test_basic_preemptive);
  g_test_add_func ("/web-ota/basic-esp-idf", test_basic_esp_idf);
  g_test_add_func ("/web-ota/digest", test_digest);
  g_test_add_func ("/web-ota/wrong-credentials-digest", test_wrong_credentials_digest);
  g_test_add_func ("/web-ota/wrong-credentials-basic", test_wrong_credentials_basic);
  g_test_add_func ("/web-ota/auth-required", test_auth_required);
  g_test_add_func ("/web-ota/update-failed", test_update_failed);
  g_test_add_func ("/web-ota/no-web-ota", test_no_web_ota);
  g_test_add_func ("/web-ota/unexpected", test_unexpected);
  g_test_add_func ("/web-ota/success-then-drop", test_success_then_drop);
  g_test_add_func ("/web-ota/stall-timeout", test_stall_timeout);
  g_test_add_func ("/web-ota/cancel", test_cancel);
  g_test_add_func ("/web-ota/connect-refused", test_connect_refused);
  g_test_add_func ("/web-ota/factory-image-refused", test_factory_image_refused);

  return g_test_run ();
}

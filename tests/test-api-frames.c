/* test-api-frames.c: native API framing and messages against the byte-exact
 * vectors in tests/vectors/esphome-api-frames.json.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <json-glib/json-glib.h>

#include "espy-api-frame.h"
#include "espy-api-messages.h"

static JsonNode *
load_vectors (void)
{
  const char *dir = g_getenv ("ESPY_VECTORS_DIR");
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  path = dir != NULL ? g_build_filename (dir, "esphome-api-frames.json", NULL)
                     : g_test_build_filename (G_TEST_DIST, "vectors", "esphome-api-frames.json", NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static GBytes *
hex (const char *text)
{
  gsize len = strlen (text);
  guint8 *data = g_malloc (len / 2 + 1);

  g_assert_cmpuint (len % 2, ==, 0);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);

      g_assert_true (hi >= 0 && lo >= 0);
      data[i] = (guint8) (hi << 4 | lo);
    }
  return g_bytes_new_take (data, len / 2);
}

/* The type id in a vector's name: "HelloRequest(type1)" -> 1. */
static guint32
type_from_name (const char *name)
{
  const char *p = strstr (name, "(type");

  g_assert_nonnull (p);
  return (guint32) g_ascii_strtoull (p + 5, NULL, 10);
}

static GBytes *
vector (JsonNode   *root,
        const char *section,
        const char *name)
{
  JsonObject *obj = json_object_get_object_member (json_node_get_object (root), section);

  return hex (json_object_get_string_member (obj, name));
}

/* Every plaintext vector: decoded, unpacked, re-packed, re-framed. */
static void
test_plaintext_vectors (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  JsonObject *plaintext = json_object_get_object_member (json_node_get_object (root), "plaintext");
  g_autoptr(GList) names = json_object_get_members (plaintext);
  guint checked = 0;

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(ProtobufCMessage) message = NULL;
      const guint8 *data;
      gsize len;
      guint32 type;
      EspyApiFrame frame;

      if (strstr (name, "(type") == NULL)
        continue;
      bytes = vector (root, "plaintext", name);
      data = g_bytes_get_data (bytes, &len);
      type = type_from_name (name);

      g_assert_cmpint (espy_api_frame_decode_plaintext (data, len, ESPY_API_CLIENT_MAX_PAYLOAD, &frame), ==,
                       ESPY_API_FRAME_COMPLETE);
      g_assert_cmpuint (frame.type, ==, type);
      g_assert_cmpuint (frame.frame_len, ==, len);

      /* Framing alone round-trips. */
      espy_api_frame_encode_plaintext (out, frame.type, frame.data, frame.len);
      g_assert_cmpmem (out->data, out->len, data, len);

      /* And through protobuf-c: our api.proto produces the same bytes. */
      message = espy_api_message_unpack (type, frame.data, frame.len);
      g_assert_nonnull (message);
      g_assert_cmpuint (espy_api_message_type (message), ==, type);
      g_byte_array_set_size (out, 0);
      espy_api_message_append_plaintext (out, message);
      g_assert_cmpmem (out->data, out->len, data, len);
      checked++;
    }
  g_assert_cmpuint (checked, ==, 9);
}

static void
test_len200_type300 (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  g_autoptr(GBytes) header = vector (root, "plaintext", "len200_type300_header");
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 payload[200];
  gsize hlen;
  const guint8 *hdata = g_bytes_get_data (header, &hlen);
  EspyApiFrame frame;

  for (guint i = 0; i < sizeof payload; i++)
    payload[i] = (guint8) (i * 7);
  espy_api_frame_encode_plaintext (out, 300, payload, sizeof payload);
  g_assert_cmpmem (out->data, hlen, hdata, hlen);
  g_assert_cmpuint (out->len, ==, hlen + sizeof payload);

  /* Every prefix is incomplete; the whole is one frame. */
  for (guint cut = 0; cut < out->len; cut++)
    g_assert_cmpint (espy_api_frame_decode_plaintext (out->data, cut, 65535, &frame), ==,
                     ESPY_API_FRAME_INCOMPLETE);
  g_assert_cmpint (espy_api_frame_decode_plaintext (out->data, out->len, 65535, &frame), ==,
                   ESPY_API_FRAME_COMPLETE);
  g_assert_cmpuint (frame.type, ==, 300);
  g_assert_cmpmem (frame.data, frame.len, payload, sizeof payload);

  /* An unknown type: no descriptor, nothing unpacked, nothing to crash on. */
  g_assert_null (espy_api_message_descriptor (300));
  g_assert_null (espy_api_message_unpack (300, frame.data, frame.len));
}

/* Feeds STREAM to the decoder in two pieces split at every byte boundary,
 * as a reader accumulating network reads would, and checks the frames. */
static void
check_split_everywhere (const guint8 *stream,
                        gsize         len,
                        gboolean      noise,
                        guint         n_frames,
                        const gsize  *frame_lens)
{
  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autoptr(GByteArray) buf = g_byte_array_new ();
      guint got = 0;
      gsize fed = 0;

      for (guint step = 0; step < 2; step++)
        {
          gsize upto = step == 0 ? cut : len;

          g_byte_array_append (buf, stream + fed, (guint) (upto - fed));
          fed = upto;
          for (;;)
            {
              EspyApiFrame frame;
              EspyApiFrameStatus status = noise ? espy_api_frame_decode_noise (buf->data, buf->len, 65535, &frame)
                                                : espy_api_frame_decode_plaintext (buf->data, buf->len, 65535, &frame);

              if (status == ESPY_API_FRAME_INCOMPLETE)
                break;
              g_assert_cmpint (status, ==, ESPY_API_FRAME_COMPLETE);
              g_assert_cmpuint (got, <, n_frames);
              g_assert_cmpuint (frame.frame_len, ==, frame_lens[got]);
              got++;
              g_byte_array_remove_range (buf, 0, (guint) frame.frame_len);
            }
        }
      g_assert_cmpuint (got, ==, n_frames);
      g_assert_cmpuint (buf->len, ==, 0);
    }
}

static void
test_incremental (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  JsonObject *top = json_node_get_object (root);
  JsonObject *plaintext = json_object_get_object_member (top, "plaintext");
  JsonArray *sequence = json_object_get_array_member (json_object_get_object_member (top, "noise"),
                                                      "transport_sequence");
  g_autoptr(GList) names = json_object_get_members (plaintext);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GArray) lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint8 unknown[200];

  /* All plaintext vectors back to back, with an unknown type in the middle. */
  memset (unknown, 0xAB, sizeof unknown);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autoptr(GBytes) bytes = NULL;
      gsize len;
      const guint8 *data;

      if (strstr (l->data, "(type") == NULL)
        continue;
      bytes = vector (root, "plaintext", l->data);
      data = g_bytes_get_data (bytes, &len);
      g_byte_array_append (stream, data, (guint) len);
      g_array_append_val (lens, len);
      if (lens->len == 3)
        {
          gsize before = stream->len;

          espy_api_frame_encode_plaintext (stream, 300, unknown, sizeof unknown);
          len = stream->len - before;
          g_array_append_val (lens, len);
        }
    }
  check_split_everywhere (stream->data, stream->len, FALSE, lens->len, &g_array_index (lens, gsize, 0));

  /* The Noise transport frames likewise. */
  g_byte_array_set_size (stream, 0);
  g_array_set_size (lens, 0);
  for (guint i = 0; i < json_array_get_length (sequence); i++)
    {
      g_autoptr(GBytes) bytes = hex (json_array_get_string_element (json_array_get_array_element (sequence, i), 1));
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      g_byte_array_append (stream, data, (guint) len);
      g_array_append_val (lens, len);
    }
  check_split_everywhere (stream->data, stream->len, TRUE, lens->len, &g_array_index (lens, gsize, 0));
}

static void
test_unknown_skipped (void)
{
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  guint8 junk[] = { 0x08, 0x01, 0x12, 0x03, 'a', 'b', 'c' };
  guint32 types[3];
  guint n = 0;
  gsize pos = 0;

  espy_api_frame_encode_plaintext (stream, 9999, junk, sizeof junk);
  espy_api_frame_encode_plaintext (stream, 7, NULL, 0);
  espy_api_frame_encode_plaintext (stream, 200, NULL, 0);

  while (pos < stream->len)
    {
      EspyApiFrame frame;

      g_assert_cmpint (espy_api_frame_decode_plaintext (stream->data + pos, stream->len - pos, 65535, &frame), ==,
                       ESPY_API_FRAME_COMPLETE);
      types[n++] = frame.type;
      pos += frame.frame_len;
      /* The caller's rule: a type without a descriptor is skipped. */
      if (espy_api_message_descriptor (frame.type) == NULL)
        g_assert_null (espy_api_message_unpack (frame.type, frame.data, frame.len));
    }
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (types[0], ==, 9999);
  g_assert_cmpuint (types[1], ==, ESPY_API_MSG_PING_REQUEST);
  g_assert_cmpuint (types[2], ==, 200);
  g_assert_nonnull (espy_api_message_descriptor (ESPY_API_MSG_PING_REQUEST));
  g_assert_null (espy_api_message_descriptor (200));
}

static void
test_limits (void)
{
  guint8 buf[16];
  gsize n = 0;
  EspyApiFrame frame;
  EspyApiFrameStatus status;
  guint32 value;
  gsize used;

  /* 65535 announced: fine for the client, too large for a device. */
  buf[n++] = 0x00;
  n += espy_api_varint_encode (65535, buf + n);
  n += espy_api_varint_encode (1, buf + n);
  g_assert_cmpint (espy_api_frame_decode_plaintext (buf, n, ESPY_API_CLIENT_MAX_PAYLOAD, &frame), ==,
                   ESPY_API_FRAME_INCOMPLETE);
  g_assert_cmpint (espy_api_frame_decode_plaintext (buf, n, ESPY_API_DEVICE_MAX_PAYLOAD, &frame), ==,
                   ESPY_API_FRAME_TOO_LARGE);

  /* 65536: rejected from the header alone, before any payload arrives. */
  n = 0;
  buf[n++] = 0x00;
  n += espy_api_varint_encode (65536, buf + n);
  status = espy_api_frame_decode_plaintext (buf, n, ESPY_API_CLIENT_MAX_PAYLOAD, &frame);
  g_assert_cmpint (status, ==, ESPY_API_FRAME_TOO_LARGE);

  /* A five-byte varint is not allowed. */
  {
    const guint8 five[] = { 0x00, 0x80, 0x80, 0x80, 0x80, 0x01, 0x07 };
    const guint8 five_type[] = { 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };

    g_assert_cmpint (espy_api_frame_decode_plaintext (five, sizeof five, G_MAXSIZE, &frame), ==,
                     ESPY_API_FRAME_MALFORMED);
    g_assert_cmpint (espy_api_frame_decode_plaintext (five_type, sizeof five_type, 65535, &frame), ==,
                     ESPY_API_FRAME_MALFORMED);
  }

  /* Varint round trips at the byte boundaries. */
  for (guint i = 0; i < 8; i++)
    {
      const guint32 values[] = { 0, 127, 128, 16383, 16384, 2097151, 2097152, 268435455 };
      const gsize sizes[] = { 1, 1, 2, 2, 3, 3, 4, 4 };
      guint8 v[5];
      gsize len = espy_api_varint_encode (values[i], v);

      g_assert_cmpuint (len, ==, sizes[i]);
      g_assert_cmpint (espy_api_varint_decode (v, len, 4, &value, &used), ==, ESPY_API_FRAME_COMPLETE);
      g_assert_cmpuint (value, ==, values[i]);
      g_assert_cmpuint (used, ==, len);
      g_assert_cmpint (espy_api_varint_decode (v, len - 1, 4, &value, &used), ==, ESPY_API_FRAME_INCOMPLETE);
    }

  /* Noise: the body limit, and the 16-bit encoder bound. */
  {
    const guint8 big[] = { 0x01, 0x80, 0x01 };
    g_autoptr(GByteArray) out = g_byte_array_new ();
    guint8 *body = g_malloc0 (65536);

    g_assert_cmpint (espy_api_frame_decode_noise (big, sizeof big, ESPY_API_DEVICE_MAX_PAYLOAD, &frame), ==,
                     ESPY_API_FRAME_TOO_LARGE);
    g_assert_cmpint (espy_api_frame_decode_noise (big, sizeof big, 65535, &frame), ==,
                     ESPY_API_FRAME_INCOMPLETE);
    g_assert_false (espy_api_frame_encode_noise (out, body, 65536));
    g_assert_cmpuint (out->len, ==, 0);
    g_assert_true (espy_api_frame_encode_noise (out, body, 65535));
    g_assert_cmpuint (out->len, ==, 65538);
    g_assert_cmpint (espy_api_frame_decode_noise (out->data, out->len, 65535, &frame), ==,
                     ESPY_API_FRAME_COMPLETE);
    g_assert_cmpuint (frame.len, ==, 65535);
    g_free (body);
  }
}

static void
test_bad_indicator (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  g_autoptr(GBytes) to_plain_client = vector (root, "noise", "plaintext_client_to_noise_device_reject");
  g_autoptr(GBytes) to_noise_client = vector (root, "noise", "noise_client_to_plaintext_device_reply");
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) framed = g_byte_array_new ();
  g_autofree char *reason = NULL;
  gsize a_len, b_len;
  const guint8 *a = g_bytes_get_data (to_plain_client, &a_len);
  const guint8 *b = g_bytes_get_data (to_noise_client, &b_len);
  EspyApiFrame frame;

  /* Plaintext client, encrypted device: the first byte already tells. */
  g_assert_cmpint (espy_api_frame_decode_plaintext (a, 1, 65535, &frame), ==, ESPY_API_FRAME_BAD_INDICATOR);
  g_assert_cmpint (espy_api_frame_decode_plaintext (a, a_len, 65535, &frame), ==, ESPY_API_FRAME_BAD_INDICATOR);
  /* It is a Noise frame carrying a reject with the reason. */
  g_assert_cmpint (espy_api_frame_decode_noise (a, a_len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  reason = espy_api_noise_reject_reason (frame.data, frame.len);
  g_assert_cmpstr (reason, ==, ESPY_API_BAD_INDICATOR_REASON);
  espy_api_noise_reject_encode (body, ESPY_API_BAD_INDICATOR_REASON);
  g_assert_true (espy_api_frame_encode_noise (framed, body->data, body->len));
  g_assert_cmpmem (framed->data, framed->len, a, a_len);

  /* Noise client, plaintext device: a raw 0x00 and the text. */
  g_assert_cmpint (espy_api_frame_decode_noise (b, 1, 65535, &frame), ==, ESPY_API_FRAME_BAD_INDICATOR);
  g_assert_cmpint (espy_api_frame_decode_noise (b, b_len, 65535, &frame), ==, ESPY_API_FRAME_BAD_INDICATOR);
  g_assert_cmpmem (b + 1, b_len - 1, ESPY_API_BAD_INDICATOR_REASON, strlen (ESPY_API_BAD_INDICATOR_REASON));

  /* Neither framing accepts anything else. */
  g_assert_cmpint (espy_api_frame_decode_plaintext ((const guint8 *) "\x02", 1, 65535, &frame), ==,
                   ESPY_API_FRAME_BAD_INDICATOR);
  g_assert_cmpint (espy_api_frame_decode_noise ((const guint8 *) "\x02", 1, 65535, &frame), ==,
                   ESPY_API_FRAME_BAD_INDICATOR);
  /* A good handshake body is no reject. */
  g_assert_null (espy_api_noise_reject_reason ((const guint8 *) "\0abc", 4));
}

static void
test_server_hello (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  g_autoptr(GBytes) hello = vector (root, "noise", "server_hello_frame");
  gsize len;
  const guint8 *data = g_bytes_get_data (hello, &len);
  EspyApiFrame frame;
  char *name = NULL, *mac = NULL;

  g_assert_cmpint (espy_api_frame_decode_noise (data, len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  g_assert_true (espy_api_noise_server_hello_parse (frame.data, frame.len, &name, &mac));
  g_assert_cmpstr (name, ==, "mydevice");
  g_assert_cmpstr (mac, ==, "aabbccddeeff");
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&mac, g_free);

  /* 2024 firmware: no MAC. */
  g_assert_true (espy_api_noise_server_hello_parse ((const guint8 *) "\x01node\0", 6, &name, &mac));
  g_assert_cmpstr (name, ==, "node");
  g_assert_null (mac);
  g_clear_pointer (&name, g_free);
  /* Protocol byte only: both absent. */
  g_assert_true (espy_api_noise_server_hello_parse ((const guint8 *) "\x01", 1, &name, &mac));
  g_assert_null (name);
  g_assert_null (mac);
  /* Another protocol version. */
  g_assert_false (espy_api_noise_server_hello_parse ((const guint8 *) "\x02x\0", 3, &name, &mac));
}

static void
test_noise_message (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const guint8 padded[] = { 0x00, 0x1d, 0x00, 0x02, 0x08, 0x05, 0xEE, 0xEE };
  const guint8 *payload;
  gsize payload_len;
  guint32 type;

  g_assert_true (espy_api_noise_message_encode (out, 300, (const guint8 *) "ab", 2));
  g_assert_cmpmem (out->data, out->len, "\x01\x2c\x00\x02" "ab", 6);
  g_assert_false (espy_api_noise_message_encode (out, 70000, NULL, 0));

  /* Padding after the payload is ignored. */
  g_assert_true (espy_api_noise_message_decode (padded, sizeof padded, &type, &payload, &payload_len));
  g_assert_cmpuint (type, ==, 29);
  g_assert_cmpmem (payload, payload_len, "\x08\x05", 2);
  /* Shorter than it claims. */
  g_assert_false (espy_api_noise_message_decode (padded, 5, &type, &payload, &payload_len));
  g_assert_false (espy_api_noise_message_decode (padded, 3, &type, &payload, &payload_len));
}

static void
test_messages (void)
{
  g_autoptr(JsonNode) root = load_vectors ();
  g_autoptr(GBytes) info_frame = vector (root, "plaintext", "DeviceInfoResponse(type10)");
  g_autoptr(GBytes) log_frame = vector (root, "plaintext", "SubscribeLogsResponse(type29)");
  g_autoptr(GBytes) time_frame = vector (root, "plaintext", "GetTimeResponse(type37)");
  g_autoptr(GBytes) hello_frame = vector (root, "plaintext", "HelloRequest(type1)");
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(EspyApi__SubscribeLogsResponse) log = NULL;
  g_autoptr(EspyApi__GetTimeResponse) time_response = NULL;
  g_autoptr(EspyApi__HelloRequest) hello = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *text = NULL;
  gsize len;
  const guint8 *data;
  EspyApiFrame frame;
  EspyApi__HelloRequest mine = ESPY_API__HELLO_REQUEST__INIT;
  /* DeviceInfoResponse with fields we do not know, of every wire type:
   * 20 varint, 21 fixed64, 22 length-delimited, 26 fixed32; then name. */
  const guint8 future[] = {
    0xa0, 0x01, 0x05,
    0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8,
    0xb2, 0x01, 0x02, 'h', 'i',
    0xd5, 0x01, 1, 2, 3, 4,
    0x12, 0x01, 'x',
  };
  const guint8 truncated[] = { 0x12, 0x05, 'x' };

  data = g_bytes_get_data (info_frame, &len);
  g_assert_cmpint (espy_api_frame_decode_plaintext (data, len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  info = (EspyApiDeviceInfo *) espy_api_message_unpack (frame.type, frame.data, frame.len);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "mydevice");
  g_assert_cmpstr (info->mac_address, ==, "AA:BB:CC:DD:EE:FF");
  g_assert_cmpstr (info->esphome_version, ==, "2025.5.0");
  g_assert_cmpstr (info->compilation_time, ==, "May 20 2025, 10:00:00");
  g_assert_cmpstr (info->model, ==, "esp32dev");
  g_assert_cmpstr (info->manufacturer, ==, "Espressif");
  g_assert_cmpstr (info->friendly_name, ==, "My Device");
  g_assert_true (info->api_encryption_supported);
  g_assert_false (info->uses_password);
  g_assert_cmpstr (info->project_name, ==, "");
  g_clear_pointer (&info, espy_api_message_free);

  info = (EspyApiDeviceInfo *) espy_api_message_unpack (ESPY_API_MSG_DEVICE_INFO_RESPONSE, future, sizeof future);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "x");
  g_assert_null (espy_api_message_unpack (ESPY_API_MSG_DEVICE_INFO_RESPONSE, truncated, sizeof truncated));

  data = g_bytes_get_data (log_frame, &len);
  g_assert_cmpint (espy_api_frame_decode_plaintext (data, len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  log = (EspyApi__SubscribeLogsResponse *) espy_api_message_unpack (frame.type, frame.data, frame.len);
  g_assert_nonnull (log);
  g_assert_cmpint (log->level, ==, ESPY_API_LOG_LEVEL_DEBUG);
  text = espy_api_log_message_to_string (log);
  g_assert_cmpstr (text, ==, "\033[0;36m[D][test:042]: hello world\033[0m");
  g_clear_pointer (&text, g_free);
  /* Cut mid-UTF-8 ("ä" is c3 a4): decoded leniently. */
  log->message.data[log->message.len - 5] = 0xc3;
  text = espy_api_log_message_to_string (log);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_nonnull (strstr (text, "\xef\xbf\xbd"));

  data = g_bytes_get_data (time_frame, &len);
  g_assert_cmpint (espy_api_frame_decode_plaintext (data, len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  time_response = (EspyApi__GetTimeResponse *) espy_api_message_unpack (frame.type, frame.data, frame.len);
  g_assert_cmpuint (time_response->epoch_seconds, ==, 0x6553f100);

  /* Building a message by hand gives the vector. */
  data = g_bytes_get_data (hello_frame, &len);
  mine.client_info = (char *) "test-client";
  mine.api_version_major = 1;
  mine.api_version_minor = 10;
  espy_api_message_append_plaintext (out, &mine.base);
  g_assert_cmpmem (out->data, out->len, data, len);
  /* Header 00 11 01: payload from byte 3. */
  hello = (EspyApi__HelloRequest *) espy_api_message_unpack (1, data + 3, len - 3);
  g_assert_nonnull (hello);
  g_assert_cmpstr (hello->client_info, ==, "test-client");

  g_assert_cmpstr (espy_api_message_type_name (ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE), ==,
                   "NoiseEncryptionSetKeyResponse");
  g_assert_cmpstr (espy_api_log_level_to_string (ESPY_API_LOG_LEVEL_VERY_VERBOSE), ==, "VERY_VERBOSE");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api-frames/plaintext-vectors", test_plaintext_vectors);
  g_test_add_func ("/api-frames/len200-type300", test_len200_type300);
  g_test_add_func ("/api-frames/incremental", test_incremental);
  g_test_add_func ("/api-frames/unknown-skipped", test_unknown_skipped);
  g_test_add_func ("/api-frames/limits", test_limits);
  g_test_add_func ("/api-frames/bad-indicator", test_bad_indicator);
  g_test_add_func ("/api-frames/server-hello", test_server_hello);
  g_test_add_func ("/api-frames/noise-message", test_noise_message);
  g_test_add_func ("/api-frames/messages", test_messages);

  return g_test_run ();
}

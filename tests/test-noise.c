/* test-noise.c: Noise_NNpsk0_25519_ChaChaPoly_SHA256 against the official
 * cacophony vector and the ESPHome API vectors (both checked against the
 * reference implementations, see tests/vectors/).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <json-glib/json-glib.h>

#include "espy-api-frame.h"
#include "espy-noise.h"

static JsonNode *
load_vectors (const char *file)
{
  const char *dir = g_getenv ("ESPY_VECTORS_DIR");
  g_autofree char *path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  path = dir != NULL ? g_build_filename (dir, file, NULL)
                     : g_test_build_filename (G_TEST_DIST, "vectors", file, NULL);
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

static const guint8 *
hex_data (GPtrArray  *keep,
          const char *text,
          gsize      *len)
{
  GBytes *bytes = hex (text);

  g_ptr_array_add (keep, bytes);
  return g_bytes_get_data (bytes, len);
}

static void
assert_bytes_hex (const guint8 *data,
                  gsize         len,
                  const char   *expected)
{
  g_autoptr(GBytes) want = hex (expected);
  gsize want_len;
  const guint8 *want_data = g_bytes_get_data (want, &want_len);

  g_assert_cmpmem (data, len, want_data, want_len);
}

/* ---- cacophony ------------------------------------------------------- */

static void
test_cacophony (void)
{
  g_autoptr(JsonNode) root = load_vectors ("noise-nnpsk0-cacophony.json");
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonObject *v = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (root), "vectors"), 0);
  JsonArray *messages = json_object_get_array_member (v, "messages");
  gsize prologue_len, psk_len, ie_len, re_len, len;
  const guint8 *prologue = hex_data (keep, json_object_get_string_member (v, "init_prologue"), &prologue_len);
  const guint8 *psk = hex_data (keep, json_array_get_string_element (
                                  json_object_get_array_member (v, "init_psks"), 0), &psk_len);
  const guint8 *ie = hex_data (keep, json_object_get_string_member (v, "init_ephemeral"), &ie_len);
  const guint8 *re = hex_data (keep, json_object_get_string_member (v, "resp_ephemeral"), &re_len);
  g_autoptr(EspyNoiseHandshake) init = NULL;
  g_autoptr(EspyNoiseHandshake) resp = NULL;
  g_autoptr(EspyNoiseCipher) i_send = NULL;
  g_autoptr(EspyNoiseCipher) i_recv = NULL;
  g_autoptr(EspyNoiseCipher) r_send = NULL;
  g_autoptr(EspyNoiseCipher) r_recv = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (json_object_get_string_member (v, "protocol_name"), ==, ESPY_NOISE_PROTOCOL_NAME);
  g_assert_cmpuint (psk_len, ==, 32);
  g_assert_cmpuint (json_array_get_length (messages), ==, 6);

  init = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, prologue, prologue_len);
  resp = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue, prologue_len);
  espy_noise_handshake_set_ephemeral_for_testing (init, ie);
  espy_noise_handshake_set_ephemeral_for_testing (resp, re);

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);
      const guint8 *payload = hex_data (keep, json_object_get_string_member (m, "payload"), &len);
      const char *ciphertext = json_object_get_string_member (m, "ciphertext");
      /* Messages alternate: initiator, responder, initiator, ... */
      gboolean from_init = i % 2 == 0;
      g_autoptr(GByteArray) wire = g_byte_array_new ();
      g_autoptr(GByteArray) plain = g_byte_array_new ();

      if (i < 2)
        {
          g_assert_true (espy_noise_handshake_write_message (from_init ? init : resp, payload, len, wire, &error));
          g_assert_no_error (error);
          assert_bytes_hex (wire->data, wire->len, ciphertext);
          g_assert_true (espy_noise_handshake_read_message (from_init ? resp : init, wire->data, wire->len,
                                                            plain, &error));
          g_assert_no_error (error);
          g_assert_cmpmem (plain->data, plain->len, payload, len);
          if (i == 1)
            {
              g_assert_true (espy_noise_handshake_is_complete (init));
              g_assert_true (espy_noise_handshake_is_complete (resp));
              g_assert_cmpmem (espy_noise_handshake_get_hash (init), 32,
                               espy_noise_handshake_get_hash (resp), 32);
              assert_bytes_hex (espy_noise_handshake_get_hash (init), 32,
                                json_object_get_string_member (v, "handshake_hash"));
              g_assert_true (espy_noise_handshake_split (init, &i_send, &i_recv, &error));
              g_assert_no_error (error);
              g_assert_true (espy_noise_handshake_split (resp, &r_send, &r_recv, &error));
              g_assert_no_error (error);
              /* The hash survives Split; a second Split does not. */
              assert_bytes_hex (espy_noise_handshake_get_hash (resp), 32,
                                json_object_get_string_member (v, "handshake_hash"));
              g_assert_false (espy_noise_handshake_split (resp, &r_send, &r_recv, &error));
              g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE);
              g_clear_error (&error);
            }
        }
      else
        {
          g_assert_true (espy_noise_cipher_encrypt (from_init ? i_send : r_send, NULL, 0, payload, len,
                                                    wire, &error));
          g_assert_no_error (error);
          assert_bytes_hex (wire->data, wire->len, ciphertext);
          g_assert_true (espy_noise_cipher_decrypt (from_init ? r_recv : i_recv, NULL, 0, wire->data,
                                                    wire->len, plain, &error));
          g_assert_no_error (error);
          g_assert_cmpmem (plain->data, plain->len, payload, len);
        }
    }
  /* Two transport messages each way. */
  g_assert_cmpuint (espy_noise_cipher_get_nonce (i_send), ==, 2);
  g_assert_cmpuint (espy_noise_cipher_get_nonce (r_recv), ==, 2);
  g_assert_cmpuint (espy_noise_cipher_get_nonce (r_send), ==, 2);
}

static void
test_order (void)
{
  guint8 psk[32] = { 1 };
  g_autoptr(EspyNoiseHandshake) init = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, NULL, 0);
  g_autoptr(EspyNoiseHandshake) resp = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, NULL, 0);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  EspyNoiseCipher *a = NULL, *b = NULL;

  /* The responder cannot speak first, nor the initiator read first. */
  g_assert_false (espy_noise_handshake_write_message (resp, NULL, 0, out, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (espy_noise_handshake_read_message (init, (const guint8 *) "x", 1, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (espy_noise_handshake_split (init, &a, &b, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_cmpuint (out->len, ==, 0);

  /* Random ephemerals: two handshakes never look alike. */
  g_assert_true (espy_noise_handshake_write_message (init, NULL, 0, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 48);
  {
    g_autoptr(EspyNoiseHandshake) other = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, NULL, 0);
    g_autoptr(GByteArray) out2 = g_byte_array_new ();

    g_assert_true (espy_noise_handshake_write_message (other, NULL, 0, out2, &error));
    g_assert_cmpuint (out2->len, ==, 48);
    g_assert_true (memcmp (out->data, out2->data, 32) != 0);
  }
  /* A short message is refused without crashing. */
  g_assert_false (espy_noise_handshake_read_message (resp, out->data, 40, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_INVALID_LENGTH);
}

static void
test_wrong_psk (void)
{
  guint8 psk_a[32], psk_b[32];
  g_autoptr(EspyNoiseHandshake) init = NULL;
  g_autoptr(EspyNoiseHandshake) resp = NULL;
  g_autoptr(EspyNoiseHandshake) resp_prologue = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  memset (psk_a, 0xA5, sizeof psk_a);
  memcpy (psk_b, psk_a, sizeof psk_b);
  psk_b[31] ^= 0x01;
  init = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk_a, (const guint8 *) "p", 1);
  resp = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk_b, (const guint8 *) "p", 1);
  resp_prologue = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk_a, (const guint8 *) "q", 1);

  g_assert_true (espy_noise_handshake_write_message (init, NULL, 0, out, &error));
  g_assert_no_error (error);
  /* One bit of the PSK, or a different prologue, and the tag fails. */
  g_assert_false (espy_noise_handshake_read_message (resp, out->data, out->len, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT);
  g_clear_error (&error);
  g_assert_false (espy_noise_handshake_read_message (resp_prologue, out->data, out->len, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT);
  g_clear_error (&error);
  /* And a failed handshake stays failed. */
  g_assert_false (espy_noise_handshake_read_message (resp, out->data, out->len, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_STATE);
}

/* ---- ESPHome vectors ------------------------------------------------- */

typedef struct {
  GHashTable *ck;  /* step -> hex */
  GHashTable *h;
  GHashTable *k;
} Trace;

static char *
to_hex (const guint8 *data)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 32; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

static void
record_trace (const char   *step,
              const guint8 *ck,
              const guint8 *h,
              const guint8 *k,
              gpointer      user_data)
{
  Trace *t = user_data;

  g_hash_table_insert (t->ck, g_strdup (step), to_hex (ck));
  g_hash_table_insert (t->h, g_strdup (step), to_hex (h));
  if (k != NULL)
    g_hash_table_insert (t->k, g_strdup (step), to_hex (k));
}

static Trace *
trace_new (void)
{
  Trace *t = g_new0 (Trace, 1);

  t->ck = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  t->h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  t->k = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return t;
}

static void
trace_free (Trace *t)
{
  g_hash_table_unref (t->ck);
  g_hash_table_unref (t->h);
  g_hash_table_unref (t->k);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Trace, trace_free)

static void
test_esphome (void)
{
  g_autoptr(JsonNode) root = load_vectors ("esphome-api-frames.json");
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonObject *top = json_node_get_object (root);
  JsonObject *noise = json_object_get_object_member (top, "noise");
  JsonObject *tr = json_object_get_object_member (noise, "trace");
  JsonObject *plaintext = json_object_get_object_member (top, "plaintext");
  JsonArray *sequence = json_object_get_array_member (noise, "transport_sequence");
  gsize psk_len, len, ie_len, re_len;
  const guint8 *psk = hex_data (keep, json_object_get_string_member (top, "psk_hex"), &psk_len);
  const guint8 *ie = hex_data (keep, json_object_get_string_member (top, "initiator_ephemeral_private_hex"), &ie_len);
  const guint8 *re = hex_data (keep, json_object_get_string_member (top, "responder_ephemeral_private_hex"), &re_len);
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) wire = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) dev_wire = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) client = NULL;
  g_autoptr(EspyNoiseHandshake) device = NULL;
  g_autoptr(EspyNoiseCipher) c_send = NULL;
  g_autoptr(EspyNoiseCipher) c_recv = NULL;
  g_autoptr(EspyNoiseCipher) d_send = NULL;
  g_autoptr(EspyNoiseCipher) d_recv = NULL;
  g_autoptr(Trace) ct = trace_new ();
  g_autoptr(Trace) dt = trace_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *mac = NULL;
  EspyApiFrame frame;
  gsize pos;
  const guint8 zero = 0x00;

  /* The prologue for the usual empty client hello. */
  espy_api_noise_prologue (prologue, NULL, 0);
  assert_bytes_hex (prologue->data, prologue->len, json_object_get_string_member (top, "prologue_hex"));

  client = espy_noise_handshake_new (ESPY_NOISE_ROLE_INITIATOR, psk, prologue->data, prologue->len);
  device = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  espy_noise_handshake_set_ephemeral_for_testing (client, ie);
  espy_noise_handshake_set_ephemeral_for_testing (device, re);
  espy_noise_handshake_set_trace_func_for_testing (client, record_trace, ct);
  espy_noise_handshake_set_trace_func_for_testing (device, record_trace, dt);

  /* Client: empty hello frame and the first handshake frame, one write. */
  g_byte_array_append (body, &zero, 1);
  g_assert_true (espy_noise_handshake_write_message (client, NULL, 0, body, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_frame_encode_noise (wire, NULL, 0));
  g_assert_true (espy_api_frame_encode_noise (wire, body->data, body->len));
  assert_bytes_hex (wire->data, wire->len, json_object_get_string_member (noise, "client_first_write"));
  /* The e token carries the public key of the fixed private one. */
  assert_bytes_hex (body->data + 1, 32, json_object_get_string_member (top, "initiator_ephemeral_public_hex"));

  /* Device side: parse the write frame by frame, as the firmware does. */
  g_assert_cmpint (espy_api_frame_decode_noise (wire->data, wire->len, 65535, &frame), ==, ESPY_API_FRAME_COMPLETE);
  g_assert_cmpuint (frame.len, ==, 0);
  pos = frame.frame_len;
  g_assert_cmpint (espy_api_frame_decode_noise (wire->data + pos, wire->len - pos, 65535, &frame), ==,
                   ESPY_API_FRAME_COMPLETE);
  g_assert_cmpuint (pos + frame.frame_len, ==, wire->len);
  g_assert_cmpuint (frame.data[0], ==, 0x00);
  g_assert_true (espy_noise_handshake_read_message (device, frame.data + 1, frame.len - 1, NULL, &error));
  g_assert_no_error (error);

  /* Device: server hello, then its handshake frame. */
  g_byte_array_set_size (body, 0);
  espy_api_noise_server_hello_encode (body, "mydevice", "aabbccddeeff");
  g_assert_true (espy_api_frame_encode_noise (dev_wire, body->data, body->len));
  assert_bytes_hex (dev_wire->data, dev_wire->len, json_object_get_string_member (noise, "server_hello_frame"));
  g_assert_true (espy_api_noise_server_hello_parse (body->data, body->len, &name, &mac));
  g_assert_cmpstr (name, ==, "mydevice");
  g_assert_cmpstr (mac, ==, "aabbccddeeff");

  g_byte_array_set_size (body, 0);
  g_byte_array_set_size (dev_wire, 0);
  g_byte_array_append (body, &zero, 1);
  g_assert_true (espy_noise_handshake_write_message (device, NULL, 0, body, &error));
  g_assert_no_error (error);
  g_assert_true (espy_api_frame_encode_noise (dev_wire, body->data, body->len));
  assert_bytes_hex (dev_wire->data, dev_wire->len, json_object_get_string_member (noise, "server_handshake_frame"));
  assert_bytes_hex (body->data + 1, 32, json_object_get_string_member (top, "responder_ephemeral_public_hex"));
  g_assert_true (espy_noise_handshake_read_message (client, body->data + 1, body->len - 1, NULL, &error));
  g_assert_no_error (error);

  assert_bytes_hex (espy_noise_handshake_get_hash (client), 32, json_object_get_string_member (tr, "handshake_hash"));
  assert_bytes_hex (espy_noise_handshake_get_hash (device), 32, json_object_get_string_member (tr, "handshake_hash"));
  g_assert_true (espy_noise_handshake_split (client, &c_send, &c_recv, &error));
  g_assert_true (espy_noise_handshake_split (device, &d_send, &d_recv, &error));
  g_assert_no_error (error);

  /* The intermediate symmetric state, on both sides. */
  for (guint side = 0; side < 2; side++)
    {
      Trace *t = side == 0 ? ct : dt;
      const char *e_step = side == 0 ? "e" : "re";

      g_assert_cmpstr (g_hash_table_lookup (t->h, "init"), ==, json_object_get_string_member (tr, "h0_ck0"));
      g_assert_cmpstr (g_hash_table_lookup (t->ck, "init"), ==, json_object_get_string_member (tr, "h0_ck0"));
      g_assert_cmpstr (g_hash_table_lookup (t->h, "prologue"), ==,
                       json_object_get_string_member (tr, "h_after_prologue"));
      g_assert_cmpstr (g_hash_table_lookup (t->ck, "psk"), ==, json_object_get_string_member (tr, "after_psk_ck"));
      g_assert_cmpstr (g_hash_table_lookup (t->h, "psk"), ==, json_object_get_string_member (tr, "after_psk_h"));
      g_assert_cmpstr (g_hash_table_lookup (t->k, "psk"), ==, json_object_get_string_member (tr, "after_psk_k"));
      /* msg1_k: the key message 1's payload is encrypted with (after e). */
      g_assert_cmpstr (g_hash_table_lookup (t->k, e_step), ==, json_object_get_string_member (tr, "msg1_k"));
      g_assert_cmpstr (g_hash_table_lookup (t->k, "ee"), ==, json_object_get_string_member (tr, "msg2_k"));
      g_assert_cmpstr (g_hash_table_lookup (t->k, "split-k1"), ==,
                       json_object_get_string_member (tr, "transport_k_initiator_to_responder"));
      g_assert_cmpstr (g_hash_table_lookup (t->k, "split-k2"), ==,
                       json_object_get_string_member (tr, "transport_k_responder_to_initiator"));
    }

  /* Transport: each message is the plaintext vector's payload, re-framed. */
  for (guint i = 0; i < json_array_get_length (sequence); i++)
    {
      JsonArray *step = json_array_get_array_element (sequence, i);
      const char *label = json_array_get_string_element (step, 0);
      const char *expected = json_array_get_string_element (step, 1);
      gboolean from_client = g_str_has_prefix (label, "C->D");
      const char *msg_name = strrchr (label, ' ') + 1;
      const char *plain_hex = NULL;
      g_autoptr(GList) members = json_object_get_members (plaintext);
      g_autoptr(GByteArray) plain = g_byte_array_new ();
      g_autoptr(GByteArray) ct_body = g_byte_array_new ();
      g_autoptr(GByteArray) out = g_byte_array_new ();
      g_autoptr(GByteArray) back = g_byte_array_new ();
      const guint8 *pt;
      const guint8 *payload;
      gsize payload_len;
      guint32 type;
      EspyApiFrame pframe, nframe;

      for (GList *l = members; l != NULL; l = l->next)
        if (g_str_has_prefix (l->data, msg_name) && ((const char *) l->data)[strlen (msg_name)] == '(')
          plain_hex = json_object_get_string_member (plaintext, l->data);
      g_assert_nonnull (plain_hex);
      pt = hex_data (keep, plain_hex, &len);
      g_assert_cmpint (espy_api_frame_decode_plaintext (pt, len, 65535, &pframe), ==, ESPY_API_FRAME_COMPLETE);

      g_assert_true (espy_api_noise_message_encode (plain, pframe.type, pframe.data, pframe.len));
      g_assert_true (espy_noise_cipher_encrypt (from_client ? c_send : d_send, NULL, 0, plain->data, plain->len,
                                                ct_body, &error));
      g_assert_no_error (error);
      g_assert_true (espy_api_frame_encode_noise (out, ct_body->data, ct_body->len));
      assert_bytes_hex (out->data, out->len, expected);

      /* And the other side reads it back. */
      g_assert_cmpint (espy_api_frame_decode_noise (out->data, out->len, 65535, &nframe), ==,
                       ESPY_API_FRAME_COMPLETE);
      g_assert_true (espy_noise_cipher_decrypt (from_client ? d_recv : c_recv, NULL, 0, nframe.data, nframe.len,
                                                back, &error));
      g_assert_no_error (error);
      g_assert_true (espy_api_noise_message_decode (back->data, back->len, &type, &payload, &payload_len));
      g_assert_cmpuint (type, ==, pframe.type);
      g_assert_cmpmem (payload, payload_len, pframe.data, pframe.len);
    }

  /* A tampered frame is refused and does not advance the nonce. */
  {
    g_autoptr(GByteArray) plain = g_byte_array_new ();
    g_autoptr(GByteArray) ctext = g_byte_array_new ();
    g_autoptr(GByteArray) back = g_byte_array_new ();
    guint64 n = espy_noise_cipher_get_nonce (c_recv);

    g_assert_true (espy_api_noise_message_encode (plain, 7, NULL, 0));
    g_assert_true (espy_noise_cipher_encrypt (d_send, NULL, 0, plain->data, plain->len, ctext, &error));
    ctext->data[1] ^= 0x80;
    g_assert_false (espy_noise_cipher_decrypt (c_recv, NULL, 0, ctext->data, ctext->len, back, &error));
    g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT);
    g_clear_error (&error);
    g_assert_cmpuint (back->len, ==, 0);
    g_assert_cmpuint (espy_noise_cipher_get_nonce (c_recv), ==, n);
    ctext->data[1] ^= 0x80;
    g_assert_true (espy_noise_cipher_decrypt (c_recv, NULL, 0, ctext->data, ctext->len, back, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (back->data, back->len, plain->data, plain->len);
  }
}

static void
test_esphome_wrong_key (void)
{
  g_autoptr(JsonNode) root = load_vectors ("esphome-api-frames.json");
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonObject *top = json_node_get_object (root);
  JsonObject *noise = json_object_get_object_member (top, "noise");
  gsize len, psk_len;
  const guint8 *first = hex_data (keep, json_object_get_string_member (noise, "client_first_write"), &len);
  const guint8 *psk = hex_data (keep, json_object_get_string_member (top, "psk_hex"), &psk_len);
  guint8 other_psk[32];
  g_autoptr(GByteArray) prologue = g_byte_array_new ();
  g_autoptr(GByteArray) reject = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(EspyNoiseHandshake) device = NULL;
  g_autoptr(EspyNoiseHandshake) good = NULL;
  g_autoptr(GError) error = NULL;

  espy_api_noise_prologue (prologue, NULL, 0);
  memcpy (other_psk, psk, sizeof other_psk);
  other_psk[0] ^= 0xFF;
  /* A device with another key fails the client's first message (hello
   * frame 3 bytes, handshake frame header 3 bytes, error byte 1 byte). */
  device = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, other_psk, prologue->data, prologue->len);
  g_assert_false (espy_noise_handshake_read_message (device, first + 7, len - 7, NULL, &error));
  g_assert_error (error, ESPY_NOISE_ERROR, ESPY_NOISE_ERROR_DECRYPT);
  g_clear_error (&error);
  good = espy_noise_handshake_new (ESPY_NOISE_ROLE_RESPONDER, psk, prologue->data, prologue->len);
  g_assert_true (espy_noise_handshake_read_message (good, first + 7, len - 7, NULL, &error));
  g_assert_no_error (error);

  /* ... and answers with this reject frame. */
  espy_api_noise_reject_encode (body, "Handshake MAC failure");
  g_assert_true (espy_api_frame_encode_noise (reject, body->data, body->len));
  assert_bytes_hex (reject->data, reject->len, json_object_get_string_member (noise, "wrong_key_reject_frame"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/noise/cacophony", test_cacophony);
  g_test_add_func ("/noise/order", test_order);
  g_test_add_func ("/noise/wrong-psk", test_wrong_psk);
  g_test_add_func ("/noise/esphome", test_esphome);
  g_test_add_func ("/noise/esphome-wrong-key", test_esphome_wrong_key);

  return g_test_run ();
}

/* espy-tcp-relay.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-tcp-relay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* Each relayed connection has two pipes (client -> target, target -> client).
 * A pipe is a reader thread that stamps every chunk with the time it is due at
 * the far end, a queue, and a writer thread that sleeps until each chunk is
 * due. Plain blocking sockets and threads: the relay must keep its timing
 * while the benchmark's main loop is busy with the client and the simulator. */

#define READ_SIZE (16 * 1024)
/* Bytes a pipe holds before its reader stops reading: the "link buffer".
 * Larger than any OTA window, so only a rate limit ever fills it. */
#define QUEUE_CAP (4 * 1024 * 1024)

typedef struct {
  gint64 due;   /* monotonic µs at which the far end receives it */
  gsize  len;   /* 0 = end of stream */
  guint8 data[];
} Chunk;

typedef struct _Conn Conn;

typedef struct {
  Conn    *conn;
  GSocket *src;
  GSocket *dst;
  GMutex   mutex;
  GCond    cond;    /* chunk queued, chunk written, or cancelled */
  GQueue   chunks;
  gsize    queued;
  gboolean cancelled;
  gint64   link_free;  /* when the rate-limited link is next idle */
} Pipe;

struct _Conn {
  gint               ref_count;
  EspyTcpRelay      *relay;    /* no ref: stop() waits for every thread */
  guint              threads_left;
  GCancellable      *cancellable;
  GSocket           *client;
  GSocketConnection *target;
  gint64             delay_us;
  guint64            rate;
  Pipe               pipes[2];
};

struct _EspyTcpRelay {
  GObject       parent_instance;

  char         *target_host;
  guint16       target_port;
  guint         delay_ms;
  guint64       rate;

  GSocket      *listener;
  guint16       port;
  GCancellable *cancellable;
  GThread      *accept_thread;

  GMutex        mutex;
  GCond         cond;       /* a relay thread ended */
  GPtrArray    *conns;      /* live connections, each holding a ref */
  guint         n_threads;  /* pipe threads still running */
  guint         n_connections;
};

G_DEFINE_FINAL_TYPE (EspyTcpRelay, espy_tcp_relay, G_TYPE_OBJECT)

static Conn *
conn_ref (Conn *conn)
{
  g_atomic_int_inc (&conn->ref_count);
  return conn;
}

static void
conn_unref (Conn *conn)
{
  if (!g_atomic_int_dec_and_test (&conn->ref_count))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (conn->pipes); i++)
    {
      Pipe *pipe = &conn->pipes[i];

      g_queue_clear_full (&pipe->chunks, g_free);
      g_mutex_clear (&pipe->mutex);
      g_cond_clear (&pipe->cond);
    }
  g_socket_close (conn->client, NULL);
  g_io_stream_close (G_IO_STREAM (conn->target), NULL, NULL);
  g_clear_object (&conn->client);
  g_clear_object (&conn->target);
  g_clear_object (&conn->cancellable);
  g_free (conn);
}

/* Called with the relay's mutex held. */
static void
conn_abort (Conn *conn)
{
  g_cancellable_cancel (conn->cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (conn->pipes); i++)
    {
      Pipe *pipe = &conn->pipes[i];

      g_mutex_lock (&pipe->mutex);
      pipe->cancelled = TRUE;
      g_cond_broadcast (&pipe->cond);
      g_mutex_unlock (&pipe->mutex);
    }
}

static void
conn_thread_done (Conn *conn)
{
  EspyTcpRelay *self = conn->relay;

  g_mutex_lock (&self->mutex);
  self->n_threads--;
  if (--conn->threads_left == 0)
    g_ptr_array_remove_fast (self->conns, conn);  /* drops the list's ref */
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  conn_unref (conn);
}

static gpointer
pipe_reader (gpointer data)
{
  Pipe *pipe = data;
  Conn *conn = pipe->conn;
  g_autofree guint8 *buf = g_malloc (READ_SIZE);
  gboolean done = FALSE;

  while (!done)
    {
      g_autoptr(GError) error = NULL;
      gssize n;
      gint64 now;
      gint64 start;
      Chunk *chunk;

      n = g_socket_receive (pipe->src, (char *) buf, READ_SIZE, conn->cancellable, &error);
      /* The relay's kernel ends the sender's TCP: a delayed ACK from it would
       * hold a Nagle sender (the OTA data phase runs without TCP_NODELAY)
       * for up to 40 ms more than the delay modelled. Linux leaves
       * quick-ack mode by itself, so ask again after every read. */
      g_socket_set_option (pipe->src, IPPROTO_TCP, TCP_QUICKACK, 1, NULL);
      now = g_get_monotonic_time ();
      /* EOF, a reset and cancellation all end this direction: the far end
       * sees a half-close, as it would when a real peer goes away. */
      if (n <= 0)
        {
          n = 0;
          done = TRUE;
        }

      chunk = g_malloc (sizeof *chunk + (gsize) n);
      chunk->len = (gsize) n;
      memcpy (chunk->data, buf, (gsize) n);

      g_mutex_lock (&pipe->mutex);
      /* The link sends one byte after another at the rate; the last byte of
       * the chunk reaches the far end one delay after it left. */
      start = MAX (now, pipe->link_free);
      if (conn->rate > 0)
        pipe->link_free = start + (gint64) ((guint64) n * G_USEC_PER_SEC / conn->rate);
      else
        pipe->link_free = start;
      chunk->due = pipe->link_free + conn->delay_us;

      while (!pipe->cancelled && pipe->queued >= QUEUE_CAP)
        g_cond_wait (&pipe->cond, &pipe->mutex);
      if (pipe->cancelled)
        {
          g_free (chunk);
          done = TRUE;
        }
      else
        {
          g_queue_push_tail (&pipe->chunks, chunk);
          pipe->queued += chunk->len;
          g_cond_broadcast (&pipe->cond);
        }
      g_mutex_unlock (&pipe->mutex);
    }

  conn_thread_done (conn);
  return NULL;
}

static gboolean
send_all (GSocket      *socket,
          const guint8 *data,
          gsize         len,
          GCancellable *cancellable)
{
  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (socket, (const char *) data, len, cancellable, &error);

      if (n <= 0)
        {
          g_debug ("espy-tcp-relay: send: %s", error ? error->message : "no progress");
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gpointer
pipe_writer (gpointer data)
{
  Pipe *pipe = data;
  Conn *conn = pipe->conn;
  gboolean broken = FALSE;

  g_mutex_lock (&pipe->mutex);
  while (!pipe->cancelled)
    {
      Chunk *chunk = g_queue_peek_head (&pipe->chunks);
      gboolean eof;

      if (chunk == NULL)
        {
          g_cond_wait (&pipe->cond, &pipe->mutex);
          continue;
        }
      if (chunk->due > g_get_monotonic_time ())
        {
          g_cond_wait_until (&pipe->cond, &pipe->mutex, chunk->due);
          continue;
        }

      g_queue_pop_head (&pipe->chunks);
      pipe->queued -= chunk->len;
      g_cond_broadcast (&pipe->cond);  /* room for the reader */
      g_mutex_unlock (&pipe->mutex);

      eof = chunk->len == 0;
      if (eof)
        {
          if (!broken)
            g_socket_shutdown (pipe->dst, FALSE, TRUE, NULL);
        }
      else if (!broken && !send_all (pipe->dst, chunk->data, chunk->len, conn->cancellable))
        {
          /* The far end is gone. Keep draining so the reader is never stuck
           * on a full queue; the other direction carries the close back. */
          broken = TRUE;
        }
      g_free (chunk);

      g_mutex_lock (&pipe->mutex);
      if (eof)
        break;
    }
  g_mutex_unlock (&pipe->mutex);

  conn_thread_done (conn);
  return NULL;
}

static void
set_nodelay (GSocket *socket)
{
  g_autoptr(GError) error = NULL;

  /* The relay decides when bytes leave; Nagle must not hold them back. */
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_debug ("espy-tcp-relay: TCP_NODELAY: %s", error->message);
}

static void
relay_connection (EspyTcpRelay *self,
                  GSocket      *client)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) target = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *target_socket;
  Conn *conn;
  static const char *const names[] = { "espy-relay-up-r", "espy-relay-up-w",
                                       "espy-relay-down-r", "espy-relay-down-w" };

  /* A loopback hop: a proxy lookup would only add time (and libproxy). */
  g_socket_client_set_enable_proxy (socket_client, FALSE);
  target = g_socket_client_connect_to_host (socket_client, self->target_host, self->target_port,
                                            self->cancellable, &error);
  if (target == NULL)
    {
      /* Dropping the client is the nearest thing to "refused" once the
       * kernel has accepted it. */
      g_debug ("espy-tcp-relay: connecting to %s:%u: %s",
               self->target_host, self->target_port, error->message);
      g_socket_close (client, NULL);
      return;
    }
  target_socket = g_socket_connection_get_socket (target);
  set_nodelay (client);
  set_nodelay (target_socket);

  conn = g_new0 (Conn, 1);
  conn->ref_count = 1;
  conn->relay = self;
  conn->threads_left = 4;
  conn->cancellable = g_cancellable_new ();
  conn->client = g_object_ref (client);
  conn->target = g_steal_pointer (&target);
  conn->delay_us = (gint64) self->delay_ms * 1000;
  conn->rate = self->rate;
  for (guint i = 0; i < G_N_ELEMENTS (conn->pipes); i++)
    {
      Pipe *pipe = &conn->pipes[i];

      pipe->conn = conn;
      pipe->src = i == 0 ? conn->client : target_socket;
      pipe->dst = i == 0 ? target_socket : conn->client;
      g_mutex_init (&pipe->mutex);
      g_cond_init (&pipe->cond);
      g_queue_init (&pipe->chunks);
    }

  g_mutex_lock (&self->mutex);
  self->n_connections++;
  self->n_threads += 4;
  g_ptr_array_add (self->conns, conn);  /* the list owns the first ref */
  for (guint i = 0; i < 4; i++)
    {
      Pipe *pipe = &conn->pipes[i / 2];

      conn_ref (conn);  /* one per thread, dropped in conn_thread_done() */
      g_thread_unref (g_thread_new (names[i], i % 2 == 0 ? pipe_reader : pipe_writer, pipe));
    }
  g_mutex_unlock (&self->mutex);
}

static gpointer
accept_thread (gpointer data)
{
  EspyTcpRelay *self = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (self->listener, self->cancellable, &error);

      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            break;
          g_debug ("espy-tcp-relay: accept: %s", error->message);
          g_usleep (10 * 1000);  /* e.g. out of fds: do not spin */
          continue;
        }
      relay_connection (self, client);
    }
  return NULL;
}

EspyTcpRelay *
espy_tcp_relay_new (const char *target_host,
                    guint16     target_port,
                    guint       delay_ms)
{
  EspyTcpRelay *self;

  g_return_val_if_fail (target_host != NULL, NULL);
  g_return_val_if_fail (target_port != 0, NULL);

  self = g_object_new (ESPY_TYPE_TCP_RELAY, NULL);
  self->target_host = g_strdup (target_host);
  self->target_port = target_port;
  self->delay_ms = delay_ms;
  return self;
}

void
espy_tcp_relay_set_rate_limit (EspyTcpRelay *self,
                               guint64       bytes_per_s)
{
  g_return_if_fail (ESPY_IS_TCP_RELAY (self));

  g_mutex_lock (&self->mutex);
  self->rate = bytes_per_s;
  g_mutex_unlock (&self->mutex);
}

gboolean
espy_tcp_relay_start (EspyTcpRelay  *self,
                      GError       **error)
{
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  g_return_val_if_fail (ESPY_IS_TCP_RELAY (self), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  if (!g_socket_bind (listener, address, TRUE, error) || !g_socket_listen (listener, error))
    return FALSE;
  bound = g_socket_get_local_address (listener, error);
  if (bound == NULL)
    return FALSE;

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->listener = g_steal_pointer (&listener);
  self->cancellable = g_cancellable_new ();
  self->accept_thread = g_thread_new ("espy-relay-accept", accept_thread, self);
  return TRUE;
}

guint16
espy_tcp_relay_get_port (EspyTcpRelay *self)
{
  g_return_val_if_fail (ESPY_IS_TCP_RELAY (self), 0);

  return self->port;
}

guint
espy_tcp_relay_get_connection_count (EspyTcpRelay *self)
{
  guint count;

  g_return_val_if_fail (ESPY_IS_TCP_RELAY (self), 0);

  g_mutex_lock (&self->mutex);
  count = self->n_connections;
  g_mutex_unlock (&self->mutex);
  return count;
}

void
espy_tcp_relay_stop (EspyTcpRelay *self)
{
  g_return_if_fail (ESPY_IS_TCP_RELAY (self));

  if (self->accept_thread == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_thread_join (g_steal_pointer (&self->accept_thread));

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->conns->len; i++)
    conn_abort (g_ptr_array_index (self->conns, i));
  while (self->n_threads > 0)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  g_socket_close (self->listener, NULL);
  g_clear_object (&self->listener);
  g_clear_object (&self->cancellable);
  self->port = 0;
}

static void
espy_tcp_relay_finalize (GObject *object)
{
  EspyTcpRelay *self = ESPY_TCP_RELAY (object);

  espy_tcp_relay_stop (self);
  g_free (self->target_host);
  g_ptr_array_unref (self->conns);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (espy_tcp_relay_parent_class)->finalize (object);
}

static void
espy_tcp_relay_class_init (EspyTcpRelayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_tcp_relay_finalize;
}

static void
espy_tcp_relay_init (EspyTcpRelay *self)
{
  self->delay_ms = ESPY_TCP_RELAY_DEFAULT_DELAY_MS;
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
}

package sitelink.wireguard;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The receiver indices of one device (whitepaper 5.4.2, wireguard-go's indextable.go): each names a session, or a
 * handshake in flight (no keypair yet). Random, so that an index says nothing about how many came before; never 0.
 * Lock-free reads for the data path.
 */
final class IndexTable {
    /** A session, or (keypair == null) a handshake in flight. */
    record Entry(Peer peer, Keypair keypair) {
    }

    private final ConcurrentHashMap<Integer, Entry> entries = new ConcurrentHashMap<>();
    private final SecureRandom random;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** The entry under {@code index}, or null. */
    Entry get(int index) {
        return entries.get(index);
    }

    /** A fresh index for a handshake in flight of {@code p}. */
    int reserve(Peer p) {
        Entry entry = new Entry(p, null);
        while (true) {
            int index = random.nextInt();
            if (index != 0 && entries.putIfAbsent(index, entry) == null) {
                return index;
            }
        }
    }

    /** The session {@code kp} of {@code p} takes over its index (reserved for its handshake). */
    void install(Peer p, Keypair kp) {
        entries.put(kp.localIndex(), new Entry(p, kp));
    }

    /** Frees the index of session {@code kp}, if it still names that session. */
    void remove(Keypair kp) {
        Entry e = entries.get(kp.localIndex());
        if (e != null && e.keypair() == kp) {
            entries.remove(kp.localIndex(), e);
        }
    }

    /** Frees the index of an initiation that will get no answer we accept (0: none). */
    void removePending(int index) {
        if (index != 0) {
            Entry e = entries.get(index);
            if (e != null && e.keypair() == null) {
                entries.remove(index, e);
            }
        }
    }
}

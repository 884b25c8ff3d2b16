"""Document exchange (单一窗口-style): customs CBEC messages in, validated, stored, matched, taxed."""

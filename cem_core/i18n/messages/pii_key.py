"""Messages about the PII hash key: a start refused with another key, the key file gone, re-keying."""

MESSAGES: dict[str, tuple[str, str]] = {
    "pii.key.mismatch": (
        "个人信息哈希密钥（来自 {source}）与本数据库中客户手机号/邮箱哈希所用的密钥不同，已拒绝启动：否则同一客户会被"
        "拆成两个。请恢复原来的密钥（CEM_PII_HASH_KEY 或密钥文件），或用 python -m cem_core pii rekey --old-key 旧密钥 "
        "以新密钥重新计算哈希。",
        "The PII hash key (from {source}) is not the key this database's phone and email hashes were made with, so "
        "the start is refused: matching would silently split customers. Restore the previous key "
        "(CEM_PII_HASH_KEY or the key file), or re-hash under the new key with "
        "python -m cem_core pii rekey --old-key OLD_KEY."),
    "pii.key.missing_file": (
        "找不到个人信息哈希密钥文件 {file}，而本数据库中的哈希是用某个密钥计算的。请恢复该文件，或将 CEM_PII_HASH_KEY "
        "设为该密钥；不会在已有哈希之上生成新密钥。",
        "The PII hash key file {file} is missing, but this database's hashes were made with a key. Restore the "
        "file or set CEM_PII_HASH_KEY to that key; a new key is not generated over existing hashes."),
    "pii.key.wrong_old": ("--old-key 不是本数据库哈希所用的密钥，未做任何更改。",
                          "--old-key is not the key this database's hashes were made with; nothing was changed."),
    "pii.key.rekeyed": ("已用当前密钥重新计算 {n} 位客户的手机号/邮箱哈希。",
                        "Re-hashed the phones and emails of {n} customers under the current key."),
}

"""Operational faults: the database or its disk, interrupted and queued imports (zh, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "faults.read_only": (
        "数据库 {db} 是只读的，无法写入（文件只读、只读挂载或只读事务）。可以查看数据，但不能导入、撤销或更改设置。"
        "请让运行本应用的用户可写该文件后重试。",
        "The database {db} is read-only and cannot be written (read-only file, mount or transaction). Data can "
        "be viewed, but not imported, undone or changed. Make the file writable for the user running the app "
        "and try again.",
    ),
    "faults.read_only_dir": (
        "数据库 {db} 所在目录 {dir} 不可写。SQLite 需要在该目录中创建日志文件（-wal、-shm）。"
        "请让该目录可写后重试。",
        "The directory {dir} of the database {db} cannot be written. SQLite needs to create its journal files "
        "(-wal, -shm) there. Make the directory writable and try again.",
    ),
    "faults.missing_dir": (
        "数据库 {db} 的目录 {dir} 不存在，且无法创建。请检查 database_url 设置中的路径。",
        "The directory {dir} of the database {db} does not exist and cannot be created. Check the path in the "
        "database_url setting.",
    ),
    "faults.cannot_open": (
        "无法打开数据库 {db}：{error}",
        "The database {db} cannot be opened: {error}",
    ),
    "faults.not_writable": (
        "无法写入 {path}（数据库 {db}）：没有写权限或文件系统只读。",
        "Cannot write {path} (database {db}): no write permission or a read-only filesystem.",
    ),
    "faults.disk_full": (
        "数据库 {db} 所在磁盘已满，本次写入已回滚，没有留下部分数据。请释放空间后重试。",
        "The disk of the database {db} is full. This write was rolled back and left nothing behind. Free "
        "some space and try again.",
    ),
    "faults.busy": (
        "数据库 {db} 正被另一个写入占用，等待超时。请稍后重试。",
        "The database {db} stayed locked by another writer for too long. Try again later.",
    ),
    "faults.unreachable": (
        "无法连接数据库服务器 {db}：{error}。请检查服务器是否运行、主机和端口是否正确。",
        "Cannot reach the database server {db}: {error}. Check that the server is running and the host and "
        "port are right.",
    ),
    "faults.auth_failed": (
        "数据库 {db} 拒绝登录：{error}。请检查 database_url 中的用户名和密码。",
        "The database {db} refused the sign-in: {error}. Check the user name and password in database_url.",
    ),
    "faults.no_database": (
        "服务器上没有数据库 {db}：{error}。请先创建该数据库。",
        "The database {db} does not exist on the server: {error}. Create it first.",
    ),
    "faults.io_error": (
        "读写数据库 {db} 时出现输入输出错误：{error}",
        "An I/O error occurred on the database {db}: {error}",
    ),
    "faults.database_error": (
        "数据库 {db} 出错：{error}",
        "The database {db} reported an error: {error}",
    ),
    "faults.lease_taken": (
        "批次 {batch} 的租约文件 {path} 已被另一进程持有：数据库是否在导入期间被替换？",
        "The lease file {path} of batch {batch} is held by another process: was the database replaced "
        "during an import?",
    ),
    "faults.waiting": (
        "正在等待进行中的导入完成：{file}（{user} 于 {started} 开始，{host} 进程 {pid}，进度 {progress}），"
        "已等待 {waited} 秒。",
        "Waiting for the import in progress: {file} (started {started} by {user}, process {pid} on {host}, "
        "{progress} done); waited {waited} s.",
    ),
    "faults.waiting_unknown": (
        "正在等待另一个导入完成，已等待 {waited} 秒。",
        "Waiting for another import to finish; waited {waited} s.",
    ),
    "faults.progress_other": ("进行中的导入：{progress}", "Import in progress: {progress}"),
    "faults.waited": (
        "已等待 {waited} 秒，前一个导入完成后开始导入。",
        "Waited {waited} s for the previous import, then ran.",
    ),
    "faults.wait_timeout": (
        "等待进行中的导入（{file}，{user} 于 {started} 开始）超过 {minutes} 分钟，已放弃，未写入任何数据。"
        "请稍后重试，或调大 import_wait_minutes 设置。",
        "Gave up after waiting {minutes} min for the import in progress ({file}, started {started} by {user}); "
        "nothing was written. Try again later or raise the import_wait_minutes setting.",
    ),
    "faults.interrupted": (
        "批次 {batch}（{file}，{started} 开始）的导入进程已中断：没有保留任何行，可以放心重新导入该文件。",
        "Batch {batch} ({file}, started {started}) was interrupted: its importer is gone and none of its rows "
        "were kept. Importing the file again is safe.",
    ),
    "faults.interrupted_note": (
        "已中断：导入进程意外终止，没有保留任何行，可以放心重新导入。",
        "Interrupted: the importer stopped unexpectedly and none of its rows were kept. Importing the file "
        "again is safe.",
    ),
    "faults.app_title": ("无法使用数据库", "The database cannot be used"),
    "faults.app_read_only": (
        "只读模式：{message}",
        "Read-only mode: {message}",
    ),
    "faults.app_help": (
        "应用仍在运行。修复上述问题后刷新页面即可。",
        "The app is still running. Fix the problem above and reload the page.",
    ),
    "imports.status.interrupted": ("已中断（可重新导入）", "interrupted (safe to retry)"),
}

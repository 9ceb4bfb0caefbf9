"""Start token, demo sign-in, import errors shown in the reader's language, the browser title (issue 11)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "trust_access.page_title": ("CEM 客户体验管理", "CEM Dashboard"),
    "trust_access.pp": (" 个百分点", " pp"),  # unit of a change in a percentage
    # start token and demo accounts
    "trust_access.token": ("启动令牌", "Start token"),
    "trust_access.token_how": ("请打开启动本应用的终端中显示的链接，或将链接中的令牌粘贴到此处。"
                               "令牌只显示在服务器终端，每次重启都会更换。",
                               "Open the link shown in the terminal where the app was started, or paste the token "
                               "from that link here. The token is shown only in the server's terminal and changes "
                               "at every restart."),
    "trust_access.token_button": ("确认令牌", "Use token"),
    "trust_access.bad_token": ("启动令牌不正确（服务器重启后需使用终端中的新链接）。",
                               "That start token is not right (after a restart, use the new link in the terminal)."),
    "trust_access.demo_title": ("试用演示数据", "Try the demo"),
    "trust_access.demo_pick": ("选择一个角色进入演示（仅含模拟数据；首次导入真实数据或创建真实用户后，"
                               "演示登录将永久关闭）：",
                               "Pick a role to enter the demo (simulated data only; demo sign-in closes for good at "
                               "the first real import or the first real user):"),
    "trust_access.demo_as": ("以演示{role}身份进入", "Enter as demo {role}"),
    "trust_access.demo_name": ("演示{role}", "Demo {role}"),
    "trust_access.demo_refused": ("演示登录已关闭，或启动令牌不正确。",
                                  "Demo sign-in is closed, or the start token is not right."),
    "trust_access.demo_over": ("演示登录已结束：演示数据已删除，或系统中已有真实数据或真实用户。",
                               "Demo sign-in has ended: the demo data was removed, or this deployment now holds "
                               "real data or a real user."),
    "trust_access.demo_cannot_manage_users": ("演示账号不能创建或修改账号、角色和密码。",
                                              "A demo account cannot create or change accounts, roles or passwords."),
    "trust_access.reserved_username": ("用户名 {username} 保留给演示账号，请换一个。",
                                       "The username {username} is reserved for the demo accounts; choose another."),
}

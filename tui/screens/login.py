"""Login (R-SEC-2, R-ID-6): user name and password; lockout messages come from offline.auth.

The password check (argon2, ~0.1-0.25 s) runs in a thread worker so the screen never freezes;
the worker also opens the session and reads the operator's drafts, then hands everything to
`app.logged_in()` in one go. In demo mode the demo accounts are listed under the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui import messages as M
from tui.host import host
from tui.widgets.compact import CompactInput, CompactScreen, FieldRow, ProblemList
from tui.widgets.footer import BottomBar
from tui.widgets.statusbar import StatusBar

if TYPE_CHECKING:
    from offline.business import Operator
    from tui.adapters import PendingDraft


class LoginScreen(CompactScreen[None]):
    """Username + password; Enter in the password field logs in."""

    # Enter is a priority binding (handled as the key arrives, not after a Submitted message), so a
    # fast typist's "name⏎password⏎" typed ahead lands in the right fields.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter", "登录", priority=True, id="login.enter"),
    ]
    AUTO_FOCUS = "#login-username"
    DEFAULT_CSS = """
    LoginScreen { align: center top; }
    LoginScreen #login-box { width: 60; height: auto; margin: 2 0 0 0; padding: 0 1; }
    LoginScreen #login-demo { height: auto; margin: 1 0 0 0; color: ansi_yellow; }
    LoginScreen #login-state { height: 1; }
    """

    @dataclass
    class Result(Message):
        operator: Operator | None
        drafts: list[PendingDraft]
        error: str
        #: what the home screen shows, read here so that it paints once, complete (bandwidth)
        preload: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="login-box", classes="panel") as box:
            box.border_title = M.LOGIN_TITLE
            yield FieldRow(M.LOGIN_USERNAME, CompactInput(id="login-username", max_length=32))
            yield FieldRow(M.LOGIN_PASSWORD, CompactInput(id="login-password", password=True, max_length=128))
            yield Static("", id="login-state")
            yield ProblemList(id="login-problems")
            yield Static(M.LOGIN_HINT, classes="hint")
        if self.app_services.demo and self.app_services.demo_accounts:
            lines = [M.LOGIN_DEMO_HEADER]
            for acct in self.app_services.demo_accounts:
                lines.append(
                    M.LOGIN_DEMO_LINE.format(
                        username=acct.username,
                        password=acct.password,
                        real_name=acct.real_name,
                        role=M.ROLE_NAMES.get(acct.role, acct.role),
                    )
                )
            yield Static("\n".join(lines), id="login-demo", markup=False)
        yield BottomBar()

    @property
    def app_services(self) -> Any:
        return host(self.app).services

    def action_enter(self) -> None:
        """Username: move on at once. Password: let the Input see Enter after its queued keys."""
        if self.focused is not None and self.focused.id == "login-username":
            self.set_focus(self.query_one("#login-password", Input))
            return
        raise SkipAction()

    @on(Input.Submitted, "#login-password")
    def _submit(self) -> None:
        username = self.query_one("#login-username", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        problems = self.query_one(ProblemList)
        if not username or not password:
            problems.show([M.LOGIN_EMPTY])
            return
        problems.clear()
        self.query_one("#login-state", Static).update(M.LOGIN_CHECKING, layout=False)
        host(self.app).hold_keys()  # keys typed during the check go to the home screen, not here
        self._login(username, password)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _login(self, username: str, password: str) -> None:
        from offline.errors import AuthError
        from tui import adapters

        services = self.app_services
        try:
            operator = adapters.authenticate(services, username, password)
        except AuthError as exc:
            self.post_message(self.Result(None, [], exc.message_zh))
            return
        except Exception as exc:  # store broken etc.: say it, keep the screen usable
            self.post_message(self.Result(None, [], M.LOGIN_FAILED.format(reason=exc)))
            return
        from dataclasses import replace

        session_id = adapters.open_session(services, operator)
        operator = replace(operator, session_id=session_id)
        try:
            drafts = adapters.pending_drafts(services, operator.id)
        except Exception:
            drafts = []
        preload: dict[str, Any] = {}
        try:
            from tui.widgets.statusbar import read_status

            preload["status"] = read_status(services, operator.real_name)
            preload["alerts"] = adapters.read_alerts(services)
        except Exception:  # the home screen reads them itself then
            preload = {}
        self.post_message(self.Result(operator, drafts, "", preload))

    def on_login_screen_result(self, message: Result) -> None:
        self.call_after_refresh(host(self.app).release_keys)
        self.query_one("#login-state", Static).update("", layout=False)
        password = self.query_one("#login-password", Input)
        if message.operator is None:
            self.query_one(ProblemList).show([message.error])
            password.value = ""
            password.focus()
            return
        password.value = ""
        app = host(self.app)
        app.logged_in(message.operator, message.drafts, message.preload)

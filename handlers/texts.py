"""Every word the bot says, in one place. Keys are referenced by handlers and the notifier."""
from __future__ import annotations

T: dict[str, str] = {
    # ---- welcome and help
    "start": (
        "您好，我是网格秘书 🤝\n"
        "身边有垃圾堆放、占道经营、路灯不亮、井盖破损、噪音扰民等问题，直接发给我：\n"
        "1. 用文字说清楚是什么问题；\n"
        "2. 发一张现场照片（可选，最多10张）；\n"
        "3. 发送位置（📎 → 位置），我据此找到负责的网格员。\n"
        "我会生成工单号，每一步处理进展都会通知您，处理完请您评价。\n\n"
        "{privacy}\n\n"
        "常用：/my 我的诉求　发送工单号查看进度　/help 帮助"
    ),
    "privacy_masked": (
        "我会保存您发来的文字、照片、位置和与工作人员的往来消息，仅用于办理您的诉求。"
        "工作人员只看到您称呼的首字；您分享的电话，和您在文字里写的手机号、座机号、身份证号，"
        "他们看到的都是打码的（如 138****8000）。收到的原始消息在{days}天后清除，工单记录保留。"
    ),
    "privacy_whole": (
        "我会保存您发来的文字、照片、位置和与工作人员的往来消息，仅用于办理您的诉求。"
        "工作人员只看到您称呼的首字；您分享的电话，和您在文字里写的手机号、座机号、身份证号，"
        "{who}看到的是完整号码，其他工作人员看到的是打码的（如 138****8000）。"
        "收到的原始消息在{days}天后清除，工单记录保留。"
    ),
    "help": (
        "怎么用：\n"
        "· 反映问题：发文字描述 + 照片（可选）+ 位置，确认后即生成工单\n"
        "· 查进度：/my，或直接发工单号（如 YX-20261123-0007）\n"
        "· 催办、补充材料、撤销：在 /my 里点工单，或直接说“催一下”“补充一下”"
    ),
    "help_staff": (
        "工作人员指令：\n"
        "/tasks 我的待办　/patrol 巡查上报（之后发文字、照片、位置）\n"
        "/leave 3d 代班工号 登记请假　/back 销假\n"
        "收到工单卡片后点“接单”，处理完点“办结”；直接回复工单卡片即可给居民留言。"
    ),
    "thanks": "不客气，有问题随时找我 🙂",
    "out_of_scope": "抱歉，我只负责城市管理和社区事务的诉求受理（如环境卫生、占道、路灯、噪音、设施损坏等）。有这类问题请直接描述给我。",
    "unknown_command": "没有这个指令。可用：/start /help /my /cancel",
    "unknown_command_staff": "没有这个指令。可用：/start /help /my /tasks /patrol /leave /back /web /cancel",
    "unsupported_media": "暂时无法处理{kind}。请用文字描述问题，并发送照片和位置。",
    "kind_sticker": "贴纸",
    "kind_voice": "语音",
    "kind_video": "视频",
    "kind_document": "文件",
    "kind_other": "这类消息",
    "empty_text": "没有收到文字内容，请描述一下遇到的问题。",
    "text_too_long": "描述有点长（{length}字，上限{limit}字），请精简后再发，照片和位置可以分开发送。",
    "contact_saved": "已记下您的联系电话（对网格员显示为 {masked}）。",
    "contact_unreadable": "这张名片里没有可用的电话号码。",
    "location_unreadable": "收到的位置无法识别，请重新发送位置（点 📎 → 位置）。",
    "error": "抱歉，系统刚才出了点问题，您的消息已保存，我们会尽快处理。请稍后再试。",
    "rate_limited": "您发消息太快了，我先歇一会儿：一分钟内的其余消息已收到，但不会逐条回复。请稍后再发，紧急情况请直接拨打 110 / 119 / 120。",
    "prompt_dropped": "{ticket} 已有变化（现为{status}，办理人：{assignee}），刚才请您输入的内容不再需要，已取消。",
    "prompt_ended": "刚才的输入已取消，您可以继续正常发消息。",
    "resend_mark": "（重发）",
    "ops_alert": "⚠️ 处理更新 {update_id} 时出错（用户 {user}）：{error}",
    # ---- intake
    "need_location": "收到：{summary}\n请发送问题所在位置（点 📎 → 位置，或点下方按钮），我据此找到负责的网格员。",
    "need_description": "收到{what}。请用一句话描述遇到的问题，例如“楼下垃圾堆了三天没人收”。",
    "what_photo": "照片",
    "what_photos": "{n}张照片",
    "with_photos": "（附照片{n}张）",
    "what_location": "位置",
    "send_location_button": "📍 发送当前位置",
    "outside_district": "这个位置（{lat:.5f}, {lon:.5f}）不在本辖区范围内，我们无法受理。请确认位置，或向当地政务热线 12345 反映。",
    "too_many_photos": "一个诉求最多{limit}张照片，多出的{extra}张没有保存。",
    "place_confirm": "收到：{summary}\n您说的是下面哪个地点？都不是的话请发送位置。",
    "place_outside": "您提到的“{place}”不在本辖区范围内，我们无法受理，请向当地政务热线 12345 反映。如问题其实在本辖区，请发送位置。",
    "summary": (
        "请确认您的诉求：\n"
        "类别：{category}{urgent}\n"
        "描述：{description}\n"
        "位置：{place}\n"
        "照片：{photos}张\n"
        "信息无误请点“确认”。"
    ),
    "urgent_mark": "（紧急）",
    "place_in_grid": "{grid}（{lat:.5f}, {lon:.5f}）",
    "no_draft": "这份诉求已过期或已提交，请重新描述问题。",
    "draft_cancelled": "已取消，这份诉求没有提交。",
    "choose_category": "请选择问题类别，或直接重新发送文字描述：",
    "redescribe_prompt": "请重新发送问题描述，将替换原描述。\n（不想继续了？发送 /cancel 取消）",
    "filed": "已受理 ✅ 工单号 {ticket}\n类别：{category}{urgent}\n已交给 {assignee} 处理，进展会第一时间通知您。",
    "filed_patrol": "巡查上报已立案 ✅ 工单号 {ticket}，已交给 {assignee}。",
    "patrol_started": "巡查上报：请发送问题描述、现场照片和位置。",
    "draft_discarded_by_command": "已取消：未提交的诉求和等我回复的输入都已清除。",
    "nothing_to_cancel": "当前没有未提交的诉求。",
    # ---- resident follow-up
    "my_none": "您还没有提交过诉求。直接描述问题即可反映。",
    "my_header": "您的诉求（最近{n}件）：",
    "my_line": "{ticket}　{status}　{category}　{date}{followed}",
    "my_followed": "　（关注）",
    "no_open_cases": "您目前没有正在办理的诉求。如需反映新问题，请直接描述问题和位置。",
    "choose_case": "您有多件诉求，请选择：",
    "meant_ask": "收到。您说的是 {case} 吗？您是想：",
    "meant_choose": "您有几件诉求在办，说的是哪一件？",
    "meant_urge": "催办 {ticket}",
    "meant_add_info": "补充到 {ticket}",
    "meant_progress": "查看 {ticket} 进度",
    "meant_cancel": "撤销 {ticket}",
    "meant_rate_good": "满意（{ticket}）",
    "meant_rate_bad": "还没解决（{ticket}）",
    "meant_report": "反映新问题",
    "progress": "{ticket} 当前状态：{status}\n{detail}",
    "case_view": "工单 {ticket}（{status}）\n类别：{category}{urgent}\n描述：{description}\n办理人：{assignee}\n\n办理记录：\n{timeline}",
    "timeline_line": "{time} {action}{note}",
    "timeline_more": "……（更早的 {n} 条记录略）",
    "ticket_not_found": "没有找到工单 {ticket}，请核对工单号。",
    "ticket_not_yours": "工单 {ticket} 不是您提交或经办的，无法查看。",
    "urged": "已催办 {ticket}，已提醒 {assignee}。",
    "add_info_prompt": "请发送要补充的文字或照片（{ticket}）。\n（不想继续了？发送 /cancel 取消）",
    "info_added": "补充材料已送达 {ticket} 的办理人。",
    "cancel_confirm": "确定撤销 {ticket} 吗？撤销后不再处理。",
    "cancelled_ack": "已撤销 {ticket}。",
    "rate_thanks": "感谢您的评价！如有意见建议，可直接回复文字（可选）。",
    "rate_reopened": "很抱歉没有让您满意，{ticket} 已重新交给 {assignee} 处理，结果会再通知您。",
    "rate_comment_saved": "您的意见已记录，谢谢。",
    "nothing_to_rate": "目前没有待评价的诉求。",
    "relay_sent": "已转达。",
    "no_relay_target": "这条消息无法转达：对应工单已结束或您不是当事人。",
    # ---- notifications to the reporter
    "n_assign": "{ticket} 已交给 {assignee} 处理。",
    "n_accept": "{ticket} 已由 {assignee} 接单，正在处理。",
    "n_transfer": "{ticket} 已转交 {assignee} 处理。原因：{note}",
    "n_reject": "{ticket} 经核查不予受理。原因：{note}\n如有疑问可拨打 12345。",
    "n_resolve": "{ticket} 已办结 ✅\n处理结果：{note}\n请对本次处理进行评价：",
    "n_close": "{ticket} 已结案，感谢您的参与。",
    "n_reopen": "{ticket} 已重新交给 {assignee} 处理。",
    "n_relay_to_reporter": "💬 {ticket} 办理人留言：{note}\n（直接回复这条消息即可回复对方）",
    # ---- notifications to staff
    "card": (
        "{urgent_head}工单 {ticket}（{status}）\n"
        "类别：{category}\n"
        "描述：{description}\n"
        "位置：{place}\n"
        "反映人：{reporter}\n"
        "{source}"
        "时间：{created}\n"
        "{why}"
    ),
    "card_urgent_head": "🚨 紧急 ",
    "card_urgent_because": "🚨 紧急（{cue}） ",
    "emergency_hint": "⚠️ 情况危险的话，请先远离现场，并马上拨打 {lines}。我们也会尽快安排人员处置。",
    "card_why_transfer": "转办原因：{note}",
    "card_source": "来源：{channel}\n",
    "reporter_via_channel": "（经{channel}联系）",
    "card_why_reopen": "居民不满意，重新办理。{note}",
    "card_why_return": "{actor} 退回，原因：{note}\n请改派或驳回。",
    "n_urge": "⏰ 居民催办 {ticket}，请尽快处理。",
    "n_add_info": "📎 {ticket} 居民补充：{note}",
    "n_cancel": "{ticket} 已被居民撤销，无需再处理。",
    "n_rate": "{ticket} 居民评价：{score}{note}",
    "n_rate_comment": "💬 {ticket} 居民的评价意见：{note}",
    "n_transfer_away": "{ticket} 已转出给 {assignee}。",
    "n_reject_previous": "{ticket} 已被驳回：{note}",
    "n_relay_to_staff": "💬 {ticket} 居民留言：{note}\n（直接回复这条消息即可回复居民）",
    "tasks_none": "目前没有待办工单。",
    "tasks_header": "待办工单 {n} 件：",
    "tasks_line": "{urgent}{ticket}　{status}　{category}　{due}",
    "accepted_ack": "已接单 {ticket}。处理完成后点“办结”。",
    "transfer_menu": "把 {ticket} 转给：",
    "transfer_other_grid": "其他网格",
    "transfer_grid_prompt": "请发送目标网格的名称或网格编号（如 文澜社区第1网格、YX-BZ-02-01），或目标位置。\n（不想继续了？发送 /cancel 取消）",
    "transfer_reason_prompt": "请说明转办原因（将告知居民）：\n（不想继续了？发送 /cancel 取消）",
    "transferred_ack": "已转办 {ticket} 给 {assignee}。",
    "return_reason_prompt": "请说明退回原因：\n（不想继续了？发送 /cancel 取消）",
    "returned_ack": "已退回 {ticket}，等待上级改派。",
    "reject_reason_prompt": "请说明驳回原因（将告知居民）：\n（不想继续了？发送 /cancel 取消）",
    "rejected_ack": "已驳回 {ticket}。",
    "reply_prompt": "请发送要转达给居民的内容（{ticket}）：\n（不想继续了？发送 /cancel 取消）",
    "resolve_prompt": "请发送处理结果说明，可附现场照片，然后点“确认办结”。\n（不想继续了？发送 /cancel 取消）",
    "resolve_ready": "处理说明：{note}\n照片：{photos}张\n确认办结 {ticket}？",
    "resolved_ack": "{ticket} 已办结，等待居民评价。",
    "photo_added_to_resolution": "已添加办结照片（共{n}张）。",
    "unknown_grid": "没有找到网格 {grid}，请核对名称或编号，或发送位置。",
    "same_grid": "目标网格就是当前网格，请选择其他网格。",
    # ---- invites
    "join_usage": "用法：/join 邀请码",
    "joined_officer": "绑定成功：{name}（{role}），负责 {scope}。\n/tasks 查看待办，/patrol 巡查上报。",
    "joined_department": "绑定成功：{department} 工作人员。转办到本部门的工单会发给您，/tasks 查看待办。",
    "join_throttled": "邀请码尝试次数过多，请一小时后再试，或向管理员申请新的邀请码。",
    "invite_unknown": "邀请码无效，请核对后重试。",
    "invite_used": "这个邀请码已经使用过了，请向管理员申请新的邀请码。",
    "invite_expired": "这个邀请码已过期，请向管理员申请新的邀请码。",
    "invite_already_staff": "您已绑定工作人员身份，无需重复绑定。",
    "invite_post_taken": "这个岗位已有人绑定，请联系管理员。",
    "leave_usage": "用法：/leave 时长 [代班人工号]，例如 /leave 3d YX-O00022；上级可为他人登记：/leave 工号 2d 代班人工号。/back 提前销假。",
    "leave_set": "已登记 {officer} 请假至 {until}，期间新工单交 {substitute} 处理。/back 可提前销假。",
    "leave_ended": "已销假，新工单将照常派给您。",
    "leave_none": "您当前没有请假记录。",
    "leave_unknown_officer": "没有这个工号的在岗人员。",
    "leave_not_allowed": "只能为自己或下属登记请假。",
    "leave_bad_length": "请假时长需在 90 天以内，例如 4h、3d。",
    "leave_bad_substitute": "代班人工号无效（不能是本人）。",
    "staff_only": "这个功能仅限网格工作人员使用，请先用 /join 邀请码 绑定身份。",
    # ---- refused transitions
    "not_your_case": "您无权对这件工单进行此操作。",
    "not_dispatched": "这件工单还在分派中。",
    "not_accepted": "这件工单尚未接单。",
    "already_accepted": "这件工单已被接单处理中。",
    "returned": "这件工单已退回，等待上级改派。",
    "already_resolved": "这件工单已办结，等待评价。",
    "already_closed": "这件工单已结案。",
    "already_rejected": "这件工单已被驳回。",
    "already_cancelled": "这件工单已撤销。",
    "note_required": "请填写说明。",
    "expired_button": "这个按钮已失效，请重新操作。",
    # ---- deadlines and escalation
    "card_due_accept": "时限：{accept}前接单，{resolve}前办结",
    "card_due_resolve": "办结时限：{resolve}",
    "ping_remind_accept": "⏰ 提醒：{ticket} 还未接单，接单时限 {due}（还剩{left}）。",
    "ping_remind_resolve": "⏰ 提醒：{ticket} 办结时限 {due}（还剩{left}）。",
    "ping_escalated": "⚠️ 超时上报：{ticket} {phase}已超时（时限 {due}，已超{late}）。办理人：{assignee}\n请督办、改派或批准延期。",
    "n_escalated": "⚠️ {ticket} {phase}已超{late}，已上报 {names}。请尽快处理。",
    "n_escalated_nobody": "⚠️ {ticket} {phase}已超{late}。上级都还没有绑定机器人，这次超时没能上报给任何人，请尽快处理。",
    "ping_escalated_duty": "⚠️ 超时上报（值班）：{ticket} {phase}已超时（时限 {due}，已超{late}）。办理人：{assignee}\n本网格的上级都还没有绑定机器人，请值班人员跟进。",
    "duty_chat": "区值班室",
    "nobody_reached": "无人接收（上级均未绑定）",
    "phase_accept": "接单时限",
    "phase_resolve": "办结时限",
    "due_running": "{phase} {due}",
    "due_overdue": "⏰已超时{late}（{phase} {due}）",
    "day_yesterday": "昨天 {time}",
    "day_today": "今天 {time}",
    "day_tomorrow": "明天 {time}",
    "day_date": "{month}月{day}日 {time}",
    "nobody_joined": "（上级尚未绑定）",
    "ping_supervise": "📌 {actor} 督办 {ticket}：{note}",
    "n_extend": "🕒 {ticket} 的办结时限已由 {actor} 延至 {due}。理由：{note}",
    "ping_ask_rating": "您反映的 {ticket} 已办结，处理结果：{note}\n请您评价，帮助我们改进：",
    "n_close_auto": "{ticket} 办结后未收到您的评价，已自动结案。问题如仍未解决，请重新反映。",
    "card_why_dispute": "居民对处理结果不满意{note}\n请决定重新办理或结案。",
    "supervise_prompt": "请输入督办意见（将发给 {assignee}）：\n（不想继续了？发送 /cancel 取消）",
    "supervised_ack": "已督办 {ticket}，意见已送达 {assignee}。",
    "extend_prompt": "{ticket} 当前办结时限：{due}。\n请发送延期时长或新的截止时间，并写明理由，例如：\n“2天 需协调物业” 或 “11-27 17:00 等待配件到货”\n（不想继续了？发送 /cancel 取消）",
    "extend_bad": "没看懂新的期限。请写延期时长（如 4小时、2天、1天半）或截止时间（如 11-27 17:00、明天下午5点、下周一），后面写理由。",
    "extend_need_reason": "请在期限后面写明延期理由，例如：“2天 需协调物业”。",
    "extend_past": "新的期限必须晚于现在，请重新发送。",
    "extended_ack": "已延期：{ticket} 的办结时限改为 {due}，已通知办理人。",
    "reassign_menu": "把 {ticket} 改派给：",
    "reassign_other": "其他人员（按姓名或网格查找）",
    "reassign_find_prompt": "请发送要改派给的人员姓名、网格名称或编号（如 罗艳、文澜社区第1网格、YX-BZ-02-01）：\n（不想继续了？发送 /cancel 取消）",
    "reassign_choose": "找到多位人员，请选择要改派 {ticket} 给谁：",
    "reassign_not_found": "没有找到“{text}”：您管辖范围内没有这位已绑定、在岗的人员，也没有这个网格。请换个姓名、网格名称或编号再试。",
    "same_officer": "这件工单已经在这位网格员手里了，请选择其他人。",
    "not_reassignable": "只能改派给您管辖范围内已绑定、在岗的下级人员，请从改派菜单中选择或按姓名、网格查找。",
    "rate_disputed": "很抱歉没有让您满意。{ticket} 已提交 {supervisor} 复核，由其决定是否重新办理，结果会通知您。",
    "rate_unsatisfied_closed": "您的评价已记录，{ticket} 已结案。问题如仍存在，可随时重新反映。",
    "dispute_reopened_ack": "已重新交办 {ticket}，办理人：{assignee}。",
    "dispute_closed_ack": "已结案 {ticket}。",
    "digest_officer_head": "☀️ {name}，早上好。今日待办 {open} 件：已超期 {overdue} 件，今日到期 {today} 件。",
    "digest_officer_line": "{mark}{ticket}　{status}　{category}　时限 {due}",
    "digest_more": "……另有 {n} 件，/tasks 查看全部。",
    "digest_supervisor": (
        "📊 {date} {scope} 日报\n"
        "新增 {new} 件；办结 {resolved} 件（当日办结 {same_day} 件，按期办结 {on_time} 件）；结案 {closed} 件\n"
        "超期未办结 {overdue} 件{by_grid}\n"
        "平均接单用时 {avg_accept}，平均办结用时 {avg_resolve}\n"
        "满意率 {satisfaction}（评价 {rated} 件）\n"
        "尚未绑定机器人的岗位 {unjoined} 个"
    ),
    "digest_none": "—",
    "dur_days": "{n}天",
    "dur_hours": "{n}小时",
    "dur_minutes": "{n}分钟",
    "dur_zero": "不到1分钟",
    # ---- the command centre (/web)
    "web_menu_button": "指挥中心",
    "web_link": "🖥 指挥中心登录链接（{minutes}分钟内有效，只能使用一次）：\n{url}",
    # ---- casework: same-spot duplicates and merges
    "duplicate_offer": ("附近已有相同问题 {ticket}（{category}，相距约{metres}米，{status}）：\n{description}\n\n"
                        "如果是同一个问题，请点“关注它”，处理的每一步都会同样通知您；不是的话请点“仍然新报”。"),
    "followed_ack": "已关注 {ticket} ✅ 处理的每一步都会通知您，办结后也请您评价。",
    "already_following": "您已经关注了 {ticket}。",
    "n_follow": "📌 又有居民反映了 {ticket} 的同一问题，已关注本工单：{note}",
    "card_duplicates": "⚠️ 附近有{n}件在办工单可能是同一问题（最近的相距{metres}米），是的话可点下方“合并到”。",
    "merge_button": "合并到 {ticket}",
    "merged_ack": "已将 {ticket} 合并到 {other}，其反映人会收到 {other} 的每一步进展。",
    "n_merge": "{ticket} 与 {other} 是同一问题，已合并办理，后续进展以 {other} 为准，同样会通知您。",
    "n_absorb": "{other} 与 {ticket} 是同一问题，已并入 {ticket}，其反映人会一并收到进展。",
    "n_unmerge": "{ticket} 已撤销与 {other} 的合并，单独办理：{assignee}。",
    "n_split": "{other} 已撤销与 {ticket} 的合并，单独办理；其反映人不再跟随 {ticket}。",
    "card_why_unmerge": "撤销合并，单独办理。",
    "unmerged_ack": "已撤销合并：{ticket} 单独办理，已交给 {assignee}。",
    "merge_self": "不能合并到同一件工单。",
    "already_merged": "这件工单已合并到其他工单。",
    # ---- casework: verification before closure (核查结案)
    "verifying": "这件工单正在等待网格员现场核查。",
    "card_why_check": "🔍 {assignee} 已办结，请到现场核查：{note}\n核查后点“属实办结”或“未办好退回”。",
    "check_requested_ack": "已提交 {ticket} 的办结，等待网格员现场核查，核查后再请居民评价。",
    "verify_prompt": "请到现场核查 {ticket}：先发现场照片，再发核查说明，说明发出即属实办结。",
    "verify_fail_prompt": "请发现场照片（可选），再发退回说明（哪里没办好），说明发出即退回承办单位重办。",
    "photo_added_to_verification": "已收到核查照片（共{n}张），请再发核查说明。",
    "verified_ack": "已核查：{ticket} 属实办结，已请居民评价。",
    "verify_failed_ack": "已退回：{ticket} 交回 {assignee} 重办。",
    "n_verify": "{ticket} 已办结，并经网格员现场核查属实 ✅\n处理结果：{resolution}\n核查：{note}\n请对本次处理进行评价：",
    "n_verify_staff": "{ticket} 经网格员现场核查，属实办结：{note}",
    "n_verify_fail": "{ticket} 现场核查未通过，退回重办：{note}",
    "card_why_verify_fail": "现场核查未通过，退回重办：{note}",
    # ---- casework: joint handling (联合处置)
    "transfer_joint": "联合处置（加协办部门）",
    "joint_menu": "联合处置 {ticket}：选择协办部门（可多次添加），各协办部门完成后才能办结：",
    "part_added_ack": "已增加协办单位 {department}：{ticket}。",
    "n_add_part": "{ticket} 增加了协办单位：{part}。各单位完成后统一办结。",
    "card_why_part": "🤝 联合处置：主办 {assignee}，请贵单位协办，完成后点“协办完成”。",
    "n_accept_part": "{ticket} 协办单位 {part} 已接单。",
    "n_finish_part": "{ticket} 协办单位 {part} 已完成：{note}",
    "part_accepted_ack": "已接单（协办）{ticket}，完成后请点“协办完成”。",
    "part_note_prompt": "请简要说明 {ticket} 贵单位协办部分的处理情况：",
    "part_done_ack": "已完成协办：{ticket}，主办单位会收到通知。",
    "parts_open": "还不能办结：协办单位 {departments} 尚未完成。",
    "part_is_lead": "{department} 是主办单位，不能再作为协办。",
    "part_exists": "{department} 已经是协办单位。",
    "part_already_accepted": "这件协办已经接过了。",
    "part_already_done": "这件协办已经完成了。",
    "part_not_accepted": "请先点“协办接单”。",
    "n_co_rate": "{ticket} 关注的居民评价：{score}{note}",
    "co_rate_thanks": "感谢您对 {ticket} 的评价！",
    # ---- casework: hot-spot early warning (预警)
    "hot_spot": ("🔥 预警：{grid} 近{window}有 {n} 件{category}（平时约每{window} {baseline} 件），"
                 "明显多于往常：{tickets}\n请关注是否有共同原因，点下方按钮查看。"),
}

BUTTONS: dict[str, str] = {
    "confirm": "确认", "modify": "修改", "cancel": "取消", "redescribe": "重新描述",
    "accept": "接单", "transfer": "转办", "return": "退回", "reply": "回复居民", "resolve": "办结",
    "resolve_ok": "确认办结", "reassign": "改派", "reject": "驳回",
    "urge": "催办", "add_info": "补充材料", "withdraw": "撤销", "withdraw_yes": "确定撤销", "back": "返回",
    "view": "查看", "none_of_these": "都不是，发送位置", "rate_satisfied": "满意", "rate_basic": "基本满意", "rate_unsatisfied": "不满意",
    # ---- deadlines and escalation
    "supervise": "督办", "reassign_to": "改派", "extend": "延期", "reopen_case": "重新办理", "close_case": "结案",
    # ---- casework
    "follow_it": "关注它", "file_anyway": "仍然新报", "unmerge": "撤销合并",
    "verify_ok": "属实办结", "verify_fail": "未办好退回", "part_accept": "协办接单", "part_done": "协办完成",
}

STATUS: dict[str, str] = {
    "submitted": "已提交", "assigned": "待接单", "accepted": "处理中", "returned": "已退回",
    "resolved": "已办结待评价", "closed": "已结案", "rejected": "不予受理", "cancelled": "已撤销",
    "merged": "已合并", "verifying": "待核查",
}

ACTIONS: dict[str, str] = {
    "file": "提交诉求", "assign": "派单", "accept": "接单", "transfer": "转办", "return": "退回",
    "reject": "驳回", "resolve": "办结", "rate": "评价", "reopen": "重新办理", "close": "结案",
    "cancel": "撤销", "urge": "催办", "add_info": "补充材料", "relay": "留言", "rate_comment": "评价意见",
    # ---- deadlines and escalation
    "remind": "时限提醒", "escalate": "超时上报", "supervise": "督办", "extend": "延期", "ask_rating": "邀请评价",
    "dispute": "不满意，提交复核",
    # ---- casework
    "follow": "居民关注", "merge": "合并到", "absorb": "并入重复工单", "unmerge": "撤销合并", "split": "撤销合并",
    "submit_check": "办结，待现场核查", "verify": "现场核查：属实办结", "verify_fail": "现场核查：未办好退回",
    "add_part": "增加协办", "accept_part": "协办接单", "finish_part": "协办完成", "co_rate": "关注人评价",
}

ROLES: dict[str, str] = {
    "grid_officer": "网格员", "grid_leader": "网格长", "community_secretary": "社区书记",
    "street_supervisor": "街道督办", "district_supervisor": "区级督办",
}

# How /start names the roles privacy.show_whole_to lets see numbers whole.
CASE_ROLES: dict[str, str] = {"assignee": "承办的工作人员", "supervisor": "督办的上级"}

SCORES: dict[str, str] = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

# The command centre's figures (bot/figures.py, whose docstring defines them): key → (name, definition).
FIGURES: dict[str, tuple[str, str]] = {
    "filed": ("受理量", "本期受理（提交）的诉求件数"),
    "same_day_rate": ("当日办结率", "本期受理的诉求中，在受理当日办结的比例（重新办理后以最近一次办结为准）"),
    "on_time_rate": ("按期办结率", "本期受理且已办结或已过办结时限的诉求中，在时限内办结的比例（延期后以新时限为准）"),
    "closed_rate": ("结案率", "本期受理的诉求中，已结案的比例"),
    "rework_rate": ("返工率", "本期受理且至少办结过一次的诉求中，办结后被重新办理过（含现场核查未通过退回）的比例"),
    "first_dispatch_rate": ("首派准确率", "本期受理的诉求中，从未被退回、也未以“非本网格”转到其他网格的比例"),
    "satisfaction_rate": ("满意率", "本期收到的评价中，满意与基本满意的比例"),
    "avg_accept_minutes": ("平均接单时长", "本期接单的诉求，从派单到接单的平均用时（分钟）"),
    "avg_resolve_hours": ("平均办结时长", "本期办结的诉求，从受理到办结的平均用时（小时）"),
    "overdue_open": ("超期未办", "此刻仍未办结、已超过接单或办结时限的诉求件数"),
}


# The command centre's pages (web/templates read them as W.key).
WEB: dict[str, str] = {
    "title": "网格秘书 · 指挥中心",
    "login_needed": "请在网格秘书机器人中发送 /web 获取登录链接（10分钟内有效，只能使用一次）。",
    "link_unknown": "登录链接无效。请在机器人中发送 /web 重新获取。",
    "link_used": "这个登录链接已经用过了。请在机器人中发送 /web 重新获取。",
    "link_expired": "登录链接已过期（10分钟内有效）。请在机器人中发送 /web 重新获取。",
    "post_gone": "您的岗位已变更，无法登录。",
    "not_staff": "只有网格员、督办人员和部门工作人员可以登录指挥中心。",
    "init_data_bad": "无法验证 Telegram 登录信息。",
    "init_data_old": "Telegram 登录信息已过期，请重新打开。",
    "forbidden": "您无权查看这里的内容。",
    "not_found": "没有找到。",
    "logout": "退出登录",
    "figures": "指标",
    "cases": "诉求列表",
    "period": "统计期",
    "ticket": "工单号", "status": "状态", "category": "类别", "grid": "网格", "filed_at": "受理时间",
    "no_cases": "暂无诉求。",
    "map": "网格地图",
    "colour_by_state": "按办理状态着色",
    "colour_by_count": "按本期受理量着色",
    "state_red": "有超期诉求", "state_yellow": "有诉求临近时限（剩余不足20%）",
    "state_green": "在办诉求均未超期", "state_grey": "无在办诉求",
    "open": "在办", "overdue": "超期", "near": "临期", "filed_in_period": "本期受理",
    "drill_cases": "查看诉求",
    "miniapp_opening": "正在登录指挥中心……",
    "filter": "筛选", "all": "全部", "area": "区域（网格/社区/街道编号）", "department": "部门",
    "overdue_only": "只看超期", "date_from": "受理日期从", "date_to": "至", "search": "关键词",
    "total": "共 {total} 件，第 {page}/{pages} 页", "prev": "上一页", "next": "下一页",
    "case": "诉求", "description": "描述", "place": "位置", "reporter": "反映人", "assignee": "承办",
    "resolve_due": "办结时限", "timeline": "办理经过", "photos": "照片",
    "supervise_note": "督办意见", "extend_text": "延期（如“2天 需协调物业”）", "reassign_to": "改派给",
    "reassign_reason": "改派理由", "reassign_button": "改派", "reassign_search": "输入姓名或网格名搜索",
    "done_supervise": "已督办，承办人会在 Telegram 收到通知。", "done_extend": "已延期，承办人会在 Telegram 收到通知。",
    "done_reassign": "已改派，新承办人会在 Telegram 收到通知。",
    "export": "导出", "figure": "指标", "value": "数值", "definition": "口径",
    "sheet_cases": "诉求列表", "sheet_figures": "指标",
    "by_day": "每日受理", "overdue_grids": "超期最多的网格", "by_category": "类别", "by_department": "部门",
    "day": "日期", "count": "件数",
    "hot_spots": "预警：近期明显多于往常的网格和类别", "hot_usual": "往常每个时段",
}

# The Open311 GeoReport v2 API (web/open311.py): error descriptions, the filing notice, status_notes.
OPEN311: dict[str, str] = {
    "bad_key": "api_key 无效或已吊销",
    "key_needed": "需要 api_key",
    "unknown_service": "没有这个服务类型：{code}",
    "unknown_request": "没有这个诉求：{id}",
    "not_found": "没有这个接口",
    "bad_format": "不支持的格式：{format}（只有 json 和 xml）",
    "missing": "缺少参数：{field}",
    "bad_body": "请求体无法解析：请用表单或 multipart 提交（上传文件最大 {most} MB）",
    "bad_number": "参数 {field} 不是数字",
    "bad_date": "参数 {field} 不是 ISO 8601 时间",
    "bad_url": "参数 {field} 不是 http(s) 地址",
    "too_long": "参数 {field} 太长（最多 {most} 字）",
    "bad_integer": "参数 {field} 不是正整数",
    "bad_choice": "参数 {field} 只能是 {choices}",
    "bad_text": "参数 {field} 含有不允许的字符（NUL）",
    "description_too_long": "description 最多 {most} 字",
    "lat_long_pair": "lat 和 long 要一起提供",
    "point_outside": "这个位置不在本区范围内",
    "place_outside": "“{place}”不在本区范围内",
    "place_unsure": "地址“{place}”不能确定，请从候选地址中选一个，用 address_id 重新提交：{candidates}",
    "place_missing": "没有可用的位置：请提供 lat/long、address_string 或 address_id",
    "unknown_address": "没有这个 address_id：{address_id}",
    "media_not_image": "media 不是图片",
    "note_empty": "补充内容不能为空",
    "note_too_long": "补充内容最多 {most} 字",
    "note_refused": "这个诉求已办结或结束（{status}），不能再补充",
    "bad_page_size": "page_size 要在 1 到 {most} 之间",
    "bad_page": "page 从 1 开始",
    "dates_reversed": "start_date 晚于 end_date",
    "dates_too_far": "start_date 和 end_date 最多相隔 {days} 天",
    "bad_status": "status 只能是 open 或 closed",
    "server_error": "服务器内部错误，请稍后再试",
    "method_not_allowed": "不支持这个请求方法",
    "service_notice": "已受理，工单号 {ticket}，已派给{agency}，请在{due}前办结。",
    "service_notice_no_due": "已受理，工单号 {ticket}，已派给{agency}。",
    "note_line": "{time} {action}{note}",
    "nobody": "待分派",
}

def t(key: str, **params: object) -> str:
    return T[key].format(**params)

"""The keyword fallback parser (nlu/keywords.py + nlu/keywords.yaml)."""
from __future__ import annotations

import pytest

from bot.understanding import CATEGORIES, INTENTS, NluClient, Parse, normalize_ticket
from nlu.keywords import KeywordParser


@pytest.fixture(scope="module")
def parser() -> KeywordParser:
    return KeywordParser()


# (message, intent, category or None = don't care, urgent or None = don't care)
CASES = [
    # --- ticket management ------------------------------------------------------------
    ("YX-20261123-0007 到哪了", "query_progress", None, False),
    ("处理到哪了", "query_progress", None, False),
    ("我反映的那个事进度怎么样了", "query_progress", None, False),
    ("请问我的投诉有结果了吗", "query_progress", None, False),
    ("路灯什么时候能修好", "query_progress", "streetlight", False),
    ("yx-20261123-0007", "query_progress", None, False),
    ("YX202611230007处理好了没", "query_progress", None, False),
    ("我报嘅嘢搞成点呀", "query_progress", None, False),
    ("催一下", "urge", None, False),
    ("怎么还没处理", "urge", None, False),
    ("快点", "urge", None, False),
    ("都等了一个星期了，到底什么时候来人", "urge", None, False),
    ("我上个礼拜报的垃圾问题怎么还没人处理？？", "urge", "garbage", False),
    ("点解仲未有人嚟", "urge", None, False),
    ("YX-20261123-0007 催办", "urge", None, False),
    ("补充", "add_info", None, False),
    ("补充一下，垃圾桶旁边还有一只死老鼠", "add_info", "garbage", False),
    ("还有一点，晚上十点以后更臭", "add_info", "garbage", False),
    ("忘了说，是3栋后面那个", "add_info", None, False),
    ("撤销", "cancel", None, False),
    ("不用处理了", "cancel", None, False),
    ("取消", "cancel", None, False),
    ("我自己解决了，不用来了", "cancel", None, False),
    ("YX-20261123-0007 取消投诉", "cancel", None, False),
    ("唔使处理喇", "cancel", None, False),
    ("满意", "rate_good", None, False),
    ("很好", "rate_good", None, False),
    ("非常满意，效率很高👍", "rate_good", None, False),
    ("谢谢你们，楼下的积水已经清理干净了", "rate_good", "drainage", False),
    ("不满意", "rate_bad", None, False),
    ("没解决", "rate_bad", None, False),
    ("敷衍", "rate_bad", None, False),
    ("说已经处理了，其实垃圾还在那里，根本没人来过", "rate_bad", "garbage", False),
    ("路灯修好了没两天又不亮了", "rate_bad", "streetlight", False),
    ("唔满意，态度好差", "rate_bad", None, False),
    # --- social -------------------------------------------------------------------------
    ("你好", "greet", None, False),
    ("在吗", "greet", None, False),
    ("您好！", "greet", None, False),
    ("hello", "greet", None, False),
    ("早晨", "greet", None, False),
    ("帮助", "help", None, False),
    ("怎么用", "help", None, False),
    ("你可以做什么", "help", None, False),
    ("怎么投诉啊", "help", None, False),
    ("好的", "affirm", None, False),
    ("是的", "affirm", None, False),
    ("对", "affirm", None, False),
    ("嗯嗯", "affirm", None, False),
    ("OK", "affirm", None, False),
    ("系啊", "affirm", None, False),
    ("👍", "affirm", None, False),
    ("对，就在中山五路12号", "affirm", None, False),
    ("不是", "deny", None, False),
    ("不对", "deny", None, False),
    ("唔系", "deny", None, False),
    ("不是，是在东湖新村", "deny", None, False),
    ("谢谢", "thanks", None, False),
    ("唔该", "thanks", None, False),
    ("多谢晒！", "thanks", None, False),
    ("谢谢你们辛苦了🙏", "thanks", None, False),
    # --- reports: one per category, colloquial -------------------------------------------
    ("楼下垃圾三天没人收了，臭死了，麻烦处理一下，谢谢", "report", "garbage", False),
    ("啲垃圾冇人收，臭到死", "report", "garbage", False),
    ("小区门口天天有人摆摊卖菜，路都堵了", "report", "street_vending", False),
    ("有辆白色小车乱停在人行道上好几天了", "report", "illegal_parking", False),
    ("消防通道被占了，全是车", "report", "illegal_parking", False),
    ("东湖新村3栋门口的路灯不亮好几天了 晚上黑漆漆的", "report", "streetlight", False),
    ("路边有个大坑，骑电动车的人差点摔了", "report", "road_damage", False),
    ("人行道砖松动了 一踩就喷泥水", "report", "road_damage", False),
    ("路边水管爆了，水一直往外冒", "report", "water_leak", False),
    ("我们这栋楼停水一整天了也没通知", "report", "water_leak", False),
    ("一下雨就水浸街，下水道堵死了", "report", "drainage", False),
    ("化粪池满了污水流到路上", "report", "drainage", False),
    ("台风把大树吹倒了，压在路中间", "report", "greenery", False),
    ("绿化带的杂草一人多高都没人剪", "report", "greenery", False),
    ("楼顶有人在加建铁皮房", "report", "illegal_construction", False),
    ("楼上装修天天电钻，早上七点就开始，吵死人", "report", "noise", False),
    ("广场舞音响开到晚上十点，好嘈", "report", "noise", False),
    ("有人在空地烧垃圾，烟好大呛得不行", "report", "air_pollution", False),
    ("楼下餐馆油烟直接排到我家窗口", "report", "air_pollution", False),
    ("好多人把电动车推进楼道充电", "report", "fire_hazard", False),
    ("楼道的灭火器都过期了", "report", "fire_hazard", False),
    ("消防通道堆满了杂物", "report", "fire_hazard", False),
    ("物业电梯坏了一个星期都不修", "report", "property_management", False),
    ("楼上漏水到我家天花板，找他们又不理", "report", "neighbor_dispute", False),
    ("邻居天天在楼道吵架骂人", "report", "neighbor_dispute", False),
    ("小区里面有个可疑人员一直在撬车锁", "report", "public_security", False),
    ("楼下有两班人打交", "report", "public_security", False),
    ("隔离屋独居老人冇人照顾，好可怜", "report", "social_assistance", False),
    ("我家生活困难，想问问怎么申请低保", "report", "social_assistance", False),
    ("包工头拖欠我们工资三个月了", "report", "wage_arrears", False),
    ("老细走佬，冇出粮", "report", "wage_arrears", False),
    ("这家小店在卖过期食品", "report", "food_safety", False),
    ("街口那间无证餐饮用地沟油", "report", "food_safety", False),
    ("我想反映个问题", "report", None, False),
    # --- urgent -------------------------------------------------------------------------
    ("楼道里好大煤气味", "report", "gas_emergency", True),
    ("闻到好浓的燃气味，是不是燃气泄漏了", "report", "gas_emergency", True),
    ("着火了！快来人", "report", "fire_hazard", True),
    ("对面楼有个电箱在冒烟", "report", "fire_hazard", True),
    ("中山五路上井盖没了，车来车往好危险", "report", "road_damage", True),
    ("马路中间的井盖丢了", "report", "road_damage", True),
    ("电线掉下来了就在人行道上", "report", None, True),
    ("电梯坏了有人被困在里面", "report", "property_management", True),
    ("有个阿婆晕倒在楼下了", "report", None, True),
    ("围墙塌了，压到人", "report", None, True),
    ("快点来人啊着火了", "report", "fire_hazard", True),
    ("地下车库水已齐腰深，还有人在里面", "report", None, True),
    # --- not urgent (negation, hypothetical, finished, ordinary) --------------------------
    ("没有煤气味了", None, "gas_emergency", False),
    ("刚才有煤气味，现在没有了", None, "gas_emergency", False),
    ("电动车在楼道充电，很容易着火", "report", "fire_hazard", False),
    ("井盖一直响，开车过去咚咚声", "report", "road_damage", False),
    ("好在没人受伤，树枝挡住了路", "report", "greenery", False),
    ("楼道堆了好多纸箱，有火灾隐患", "report", "fire_hazard", False),
    ("着火了，火已经灭了", "report", "fire_hazard", False),
    # --- long messages ------------------------------------------------------------------
    ("你好，我住在东湖新村3栋，楼下那个垃圾站已经好几天没人清理了，夏天又热，臭得不行，苍蝇蚊子一大堆，"
     "小朋友都不敢下楼玩，之前打过物业电话说不归他们管，真不知道找谁，麻烦你们尽快安排人处理，谢谢！",
     "report", "garbage", False),
    ("今天早上7点多路过中山五路和解放北路交叉口，看到有个井盖没了，旁边也没有任何警示，车来车往很危险，"
     "希望有关部门尽快处理", "report", "road_damage", True),
    ("楼上那户每天晚上十一二点还在剁肉拖椅子，跟他们说过好几次了也没用，物业也调解过，还是老样子，实在受不了",
     "report", "noise", False),
    # --- out of scope -------------------------------------------------------------------
    ("今天天气怎么样", "out_of_scope", None, False),
    ("讲个笑话", "out_of_scope", None, False),
    ("我想买台电脑，有什么推荐", "out_of_scope", None, False),
    ("帮我订一张明天去北京的机票", "out_of_scope", None, False),
    ("哈哈哈", "out_of_scope", None, False),
    # --- typos, no punctuation, emoji, digits, mixed ------------------------------------
    ("垃圾😡😡😡臭死", "report", "garbage", False),
    ("路灯坏咗3日了", "report", "streetlight", False),
    ("小区门口有车堵住消防通道粤A12345", "report", "illegal_parking", False),
    ("停车场出口被共享单车堵死了!!!", "report", "illegal_parking", False),
    ("楼下宵夜档搞到成条街都系油烟，嘈到瞓唔着", "report", None, False),
    ("條渠塞咗，啲水浸到屋企門口", "report", "drainage", False),
]


# Written as unseen checks, in batches, before the parser was adjusted for them. First-run accuracy
# (intent, category and urgency all right) was 50/70, 53/60, 45/58, 35/44 and 32/40; the misses that
# showed a general gap (a missing synonym, a rule order) were then fixed in the tables.
HELD_OUT = [
    ("我家门口那条路的路灯晚上一闪一闪的", "report", "streetlight", False),
    ("小区垃圾分类做得很差 桶都满出来了", "report", "garbage", False),
    ("楼下的商铺把货摆到人行道上了", "report", "street_vending", False),
    ("有个大货车停在小区门口挡住出口三天没动", "report", "illegal_parking", False),
    ("学校门口早上接送孩子的车乱停乱放", "report", "illegal_parking", False),
    ("马路上的沙井盖烂咗一半", "report", "road_damage", False),
    ("我們這邊停水了 什麼時候來水", None, "water_leak", False),
    ("家里的水龙头流出来的水是黄色的", "report", "water_leak", False),
    ("一下大雨小区地下车库就被淹", "report", "drainage", False),
    ("路边的水渠好臭，好多蚊", "report", "drainage", False),
    ("小区的树好多年没修剪了挡住了阳光", "report", "greenery", False),
    ("有人把公共绿地挖了种菜", "report", "greenery", False),
    ("隔壁在天台上搭了个棚", "report", "illegal_construction", False),
    ("一楼住户把墙打通开了个小卖部", "report", None, False),
    ("KTV唱到凌晨三点还不停", "report", "noise", False),
    ("隔壁狗从早叫到晚", "report", "noise", False),
    ("工地晚上还在施工，机器轰隆隆", "report", "noise", False),
    ("工地没有洒水 灰尘满天飞", "report", "air_pollution", False),
    ("对面厂房排出的废气好刺鼻", "report", "air_pollution", False),
    ("楼道私拉电线给电动车充电", "report", "fire_hazard", False),
    ("消防栓被人拆了", "report", "fire_hazard", False),
    ("隔壁单元有股很浓的煤气味，敲门没人应", "report", "gas_emergency", True),
    ("厨房的燃气管好像漏气了嘶嘶响", "report", "gas_emergency", True),
    ("小区门禁坏了半个月物业不修", "report", "property_management", False),
    ("物业乱收停车费", "report", "property_management", False),
    ("楼上的空调水一直滴到我家阳台", "report", "neighbor_dispute", False),
    ("对门邻居把鞋柜放在公共走廊，说了也不听", "report", "neighbor_dispute", False),
    ("有人在小区里面偷电动车电瓶", "report", "public_security", False),
    ("楼下好像有人在赌博", "report", "public_security", False),
    ("这几天总有个陌生人在楼道里转悠", "report", "public_security", False),
    ("我们楼有个残疾人一个人住，生活很困难", "report", "social_assistance", False),
    ("街上有个流浪汉睡在公交站", "report", "social_assistance", False),
    ("做了两个月的工老板一分钱都没给", "report", "wage_arrears", False),
    ("在工地干活的工钱一直拖着不给", "report", "wage_arrears", False),
    ("楼下那家快餐店厨房脏得要命，还有老鼠", "report", "food_safety", False),
    ("超市卖的牛奶过期了还在卖", "report", "food_safety", False),
    ("有人在河涌边倒建筑垃圾", "report", "garbage", False),
    ("那个地方好黑 冇路灯", "report", "streetlight", False),
    ("好大件事 楼下有人跌倒了流好多血", "report", None, True),
    ("小区后面的挡土墙裂了好大条缝，怕会塌", "report", None, False),
    ("有个小孩被困在电梯里了快来", "report", "property_management", True),
    ("路口的红绿灯坏了好危险", "report", "streetlight", False),
    ("我要举报有人违规养鸡", "report", None, False),
    ("你们几点上班", "out_of_scope", None, False),
    ("明天会下雨吗", "out_of_scope", None, False),
    ("帮我写一篇作文", "out_of_scope", None, False),
    ("请问可以发图片吗", "help", None, False),
    ("这个机器人能干嘛", "help", None, False),
    ("我的工单怎么样了", "query_progress", None, False),
    ("上次反映的噪音问题现在处理到哪一步了", "query_progress", "noise", False),
    ("能不能快点处理啊 都一个月了", "urge", None, False),
    ("YX-20261101-0033 还没有人来", "urge", None, False),
    ("拜托你们快啲", "urge", None, False),
    ("另外，那里晚上还有人烧东西", "add_info", None, False),
    ("对了 还有门口那个井盖也是松的", "add_info", None, False),
    ("这个问题我不想投诉了", "cancel", None, False),
    ("问题解决了 谢谢", "rate_good", None, False),
    ("处理得很及时，赞一个", "rate_good", None, False),
    ("根本就没有人来看过", "rate_bad", None, False),
    ("还是一样 没有任何变化", "rate_bad", None, False),
    ("好啊", "affirm", None, False),
    ("是呀就是那里", "affirm", None, False),
    ("确认提交", "affirm", None, False),
    ("不是这里", "deny", None, False),
    ("错了 不是这个地址", "deny", None, False),
    ("晚上好", "greet", None, False),
    ("喂 有人吗", "greet", None, False),
    ("多谢你哋", "thanks", None, False),
    ("thx", "thanks", None, False),
    ("太感谢了", "thanks", None, False),
    ("屋企楼下嗰个垃圾桶爆满咗成个礼拜", "report", "garbage", False),
    ("垃圾房门口的垃圾都堆到路中间了，环卫工也不来", "report", "garbage", False),
    ("每天傍晚菜市场门口一排走鬼", "report", "street_vending", False),
    ("水果店把摊子摆到马路上", "report", "street_vending", False),
    ("这辆车在路边停了半年都没动过，轮胎都没气了", "report", "illegal_parking", False),
    ("有车停在盲道上", "report", None, False),
    ("楼梯间的灯坏了好久", "report", "property_management", False),
    ("公园里面的路灯全黑了", "report", "streetlight", False),
    ("路面裂了好长一条缝", "report", "road_damage", False),
    ("人行道上的砖翘起来了，老人家容易绊倒", "report", "road_damage", False),
    ("自来水管在地下漏水，路面一直湿的", "report", "water_leak", False),
    ("水压好低，楼上根本没水用", "report", "water_leak", False),
    ("街边的下水道反臭味", "report", "drainage", False),
    ("暴雨后路口积水到膝盖", "report", "drainage", False),
    ("小区里的榕树树根把地面顶裂了", "report", "greenery", False),
    ("有棵树歪了好像要倒", "report", "greenery", False),
    ("顶楼业主在楼顶违建了一层", "report", "illegal_construction", False),
    ("一楼把院子围起来搭了个铁棚", "report", "illegal_construction", False),
    ("晚上楼下有人飙车 轰油门好吵", "report", "noise", False),
    ("菜市场凌晨四点就开始卸货，噪音扰民", "report", "noise", False),
    ("小区旁边的工厂天天冒黑烟", "report", "air_pollution", False),
    ("隔壁烧烤店的油烟熏得我家窗户都是油", "report", "air_pollution", False),
    ("楼道堆满了旧家具和纸皮，万一着火跑都跑不掉", "report", "fire_hazard", False),
    ("商场的安全出口被锁住了", "report", "fire_hazard", False),
    ("有人在楼道里用煤气罐做饭", "report", None, False),
    ("我闻到好重的天然气味道 好像是楼下", "report", "gas_emergency", True),
    ("电梯经常卡在半路", "report", "property_management", False),
    ("物业把公共绿地改成停车位收钱", "report", None, False),
    ("楼上的狗每天半夜叫", "report", "noise", False),
    ("邻居把垃圾堆在我家门口，说了好几次都不听", "report", None, False),
    ("邻居家的空调外机对着我家窗户吹", "report", "neighbor_dispute", False),
    ("晚上有人在楼下打架，好像还有人拿着刀", "report", "public_security", True),
    ("我的电动车在楼下被偷了", "report", "public_security", False),
    ("有人冒充社区工作人员上门收钱", "report", "public_security", False),
    ("隔壁的阿婆八十多岁了一个人住，好几天没见她出门了", "report", "social_assistance", False),
    ("我失业了，家里还有病人，请问有什么补助", "report", "social_assistance", False),
    ("干了半年装修，包工头跑了，工资一分都没拿到", "report", "wage_arrears", False),
    ("公司三个月没发工资了", "report", "wage_arrears", False),
    ("学校旁边的小卖部卖三无产品", "report", "food_safety", False),
    ("在那家店吃完拉肚子", "report", "food_safety", False),
    ("燃气管道那里有人挖路", "report", None, None),
    ("进度", "query_progress", None, False),
    ("我那个投诉有人跟进吗", "query_progress", None, False),
    ("你们到底管不管", None, None, False),
    ("几时先有人嚟睇", "urge", None, False),
    ("YX-20261105-0101 还有一件事，楼道也有垃圾", "add_info", None, False),
    ("我想补张照片", "add_info", None, False),
    ("不用麻烦了，已经没事了", None, None, False),
    ("唔使喇", "deny", None, False),
    ("这次处理得不错", "rate_good", None, False),
    ("一般般吧，还是有点臭", None, None, False),
    ("处理的人态度很差", "rate_bad", None, False),
    ("嗯，对的", "affirm", None, False),
    ("可以的可以的", "affirm", None, False),
    ("没有了", "deny", None, False),
    ("哈啰", "greet", None, False),
    ("你好呀", "greet", None, False),
    ("非常感谢你们的帮助", "thanks", None, False),
    ("今天股市怎么样", "out_of_scope", None, False),
    ("你喜欢什么颜色", "out_of_scope", None, False),
    ("小区垃圾没分类就全倒一起", "report", "garbage", False),
    ("我们这里的垃圾车每天早上五点来，声音好大", "report", None, False),
    ("马路边的烂菜叶一地都是", "report", "garbage", False),
    ("有个卖红薯的推着车在地铁口", "report", "street_vending", False),
    ("早餐店门口摆满桌椅占了整条人行道", "report", "street_vending", False),
    ("小区里的车位被外来车占了", "report", "illegal_parking", False),
    ("门口天天有摩托车乱停挡住大门", "report", "illegal_parking", False),
    ("隧道里的灯坏了一半", "report", "streetlight", False),
    ("这条巷子晚上没灯很不安全", "report", "streetlight", False),
    ("路上有块铁板翘起来了很容易绊倒人", "report", "road_damage", False),
    ("减速带被压坏了", "report", "road_damage", False),
    ("地下水管爆了 马路冒水", "report", "water_leak", False),
    ("我家这片区已经停水两天了", "report", "water_leak", False),
    ("厕所反水，整栋楼都这样", "report", "drainage", False),
    ("雨水井被树叶堵住了", "report", "drainage", False),
    ("树枝伸到我家阳台，蚊虫好多", "report", "greenery", False),
    ("小区的草坪变成了停车场", "report", None, False),
    ("对面楼在违规加建阳台", "report", "illegal_construction", False),
    ("楼下铺面装修把承重墙拆了", "report", "illegal_construction", False),
    ("隔壁邻居每天早上六点就开始练琴", "report", "noise", False),
    ("酒吧音乐开得震天响", "report", "noise", False),
    ("街口有人烧纸烧得烟雾弥漫", "report", "air_pollution", False),
    ("附近的汽修店喷漆味很重", "report", "air_pollution", False),
    ("电动车停在楼梯口充电", "report", "fire_hazard", False),
    ("出租屋里面住了十几个人还在煮饭，电线乱拉", "report", "fire_hazard", False),
    ("煤气管道被挖断了，好大的味", "report", "gas_emergency", True),
    ("有人把电梯按钮烧了", "report", "property_management", False),
    ("物业电话一直打不通", "report", "property_management", False),
    ("楼上住户往下扔烟头", "report", None, False),
    ("邻居占用楼道放杂物还不让说", "report", None, False),
    ("小区门口有人在发传单拉人去听讲座卖保健品", "report", None, False),
    ("有个醉汉躺在路边", "report", None, False),
    ("隔壁单元有老人去世了好几天才被发现", "report", None, False),
    ("我是残疾人，想申请轮椅", "report", "social_assistance", False),
    ("老板说下个月才发工资已经拖了三次", "report", "wage_arrears", False),
    ("公司倒闭了，工人的工资都没结", "report", "wage_arrears", False),
    ("烧腊店的肉都发臭了还在卖", "report", "food_safety", False),
    ("有人在路边卖没有检疫的猪肉", "report", "food_safety", False),
    ("楼顶水箱盖子烂了", "report", None, False),
    ("整栋楼突然没电", "report", None, False),
    ("那个单有人管吗", "query_progress", None, False),
    ("我提交的投诉现在是什么状态", "query_progress", None, False),
    ("已经反映了好几次了，怎么还是没人处理", "urge", None, False),
    ("再不处理我就打12345", None, None, False),
    ("补多一句，那个井盖就在公交站旁边", "add_info", None, False),
    ("之前报的那个路灯的事，不用处理了", "cancel", None, False),
    ("师傅来修好了，谢谢", "rate_good", None, False),
    ("服务态度很好", "rate_good", None, False),
    ("修了跟没修一样", "rate_bad", None, False),
    ("好的收到", "affirm", None, False),
    ("冇错", "affirm", None, False),
    ("不要", "deny", None, False),
    ("早上好呀", "greet", None, False),
    ("hi", "greet", None, False),
    ("3q", "thanks", None, False),
    ("你们真好", None, None, False),
    ("帮我算一下这个数学题", "out_of_scope", None, False),
    ("周杰伦的新歌好听吗", "out_of_scope", None, False),
    ("小区门口垃圾桶旁边全是外卖盒", "report", "garbage", False),
    ("街上好多狗屎冇人理", "report", "garbage", False),
    ("天桥上面有人摆地摊卖手机壳", "report", "street_vending", False),
    ("消防车都进不来，路两边停满了车", "report", "illegal_parking", False),
    ("电单车成日停喺门口", "report", "illegal_parking", False),
    ("新装的路灯白天都亮着，浪费电", "report", "streetlight", False),
    ("路中间有个窟窿", "report", "road_damage", False),
    ("井盖被车压歪了，翘起一边", "report", "road_damage", None),
    ("水表那里一直在滴水", "report", "water_leak", False),
    ("这几天水都是浑的，有股怪味", "report", "water_leak", False),
    ("小区的污水井冒出来了 好臭", "report", "drainage", False),
    ("路边排水沟被水泥堵死了", "report", "drainage", False),
    ("有人把小区的树砍了", "report", "greenery", False),
    ("树上有个马蜂窝，好多小孩经过", "report", None, False),
    ("天台被人圈起来做了个花园", "report", "illegal_construction", False),
    ("半夜有人在楼下飙摩托车", "report", "noise", False),
    ("商铺门口的大喇叭一直循环放广告", "report", "noise", False),
    ("饭店的排烟管对着我们住宅楼", "report", "air_pollution", False),
    ("工地的泥头车把路上搞得全是泥尘", "report", "air_pollution", False),
    ("楼下电动车着火了浓烟好大", "report", "fire_hazard", True),
    ("家里燃气灶关了还是有味道，不知道哪里漏", "report", "gas_emergency", None),
    ("电梯门关不上", "report", "property_management", False),
    ("物业费年年涨 服务越来越差", "report", "property_management", False),
    ("隔壁老是把垃圾放在走廊", "report", None, False),
    ("楼上小孩每天在家拍球", "report", "noise", False),
    ("有人在小区门口派发传单骗老人买保健品", "report", "public_security", False),
    ("刚刚有人在公交车上偷手机", "report", "public_security", False),
    ("我邻居是个孤寡老人，最近生病了没人照顾", "report", "social_assistance", False),
    ("外地来打工的，老板拖了我两个月人工", "report", "wage_arrears", False),
    ("食堂的饭菜吃了好多人拉肚子", "report", "food_safety", False),
    ("我的单号是YX-20261110-0021，帮我看看", "query_progress", None, False),
    ("有没有人处理我反映的问题啊", "query_progress", None, False),
    ("都一个星期了还是没有人来", None, None, False),
    ("加多一张相", "add_info", None, False),
    ("撤回刚才的投诉", "cancel", None, False),
    ("师傅很专业，点赞", "rate_good", None, False),
    ("处理结果我不接受", "rate_bad", None, False),
    ("确定", "affirm", None, False),
    ("不对不对", "deny", None, False),
    ("在不在呀", "greet", None, False),
    ("感谢感谢", "thanks", None, False),
    ("推荐一部电影", "out_of_scope", None, False),
    # fifth batch, written after the fixes above: first run 32/40
    ("楼下便利店门口每天都堆满纸箱", "report", None, False),
    ("有人在公园里面遛狗不拴绳，狗追着小孩跑", "report", None, False),
    ("十字路口那个指示牌被撞歪了", "report", None, False),
    ("垃圾车收垃圾的时候汁水流了一地", "report", "garbage", False),
    ("好多人在小区里乱贴租房广告", "report", "garbage", False),
    ("夜市的烧烤档烟好大", "report", "air_pollution", False),
    ("路边摊占了盲道", "report", "street_vending", False),
    ("隔壁工厂晚上偷偷排污水到河里", "report", "drainage", False),
    ("下水道井盖被人偷了", "report", "road_damage", True),
    ("有个老人倒在路边不动了", "report", None, True),
    ("我家天花板的墙皮一直往下掉，楼上说不关他们事", "report", "neighbor_dispute", False),
    ("我们单位欠了我半年工资", "report", "wage_arrears", False),
    ("楼道里的应急灯都不亮了", "report", None, False),
    ("停车场里面有辆车一直在响警报", "report", None, False),
    ("有人在天台养了好多鸽子，臭死了", "report", None, False),
    ("那家店的猪肉颜色好奇怪", "report", "food_safety", False),
    ("这个月的低保还没到账", "report", "social_assistance", False),
    ("有人在地铁站门口发小广告", "report", "garbage", False),
    ("树上的树枝快断了，就在人行道上面", "report", "greenery", False),
    ("我最近心情不好想找人聊聊", "out_of_scope", None, False),
    ("你们是政府的吗", None, None, False),
    ("你知道广州有什么好玩的地方吗", "out_of_scope", None, False),
    ("帮我写个请假条", "out_of_scope", None, False),
    ("我想办身份证去哪里办", None, None, False),
    ("上次那件事你们处理了吗", "query_progress", None, False),
    ("工单YX-20261120-0008怎么样", "query_progress", None, False),
    ("等了快两个礼拜了，能不能给个准话", "urge", None, False),
    ("我再补充个情况，晚上也有人在那摆", "add_info", None, False),
    ("我不投诉了，已经跟邻居谈好了", "cancel", None, False),
    ("来的师傅很负责，问题都解决了", "rate_good", None, False),
    ("工作人员来看了一眼就走了，什么都没做", "rate_bad", None, False),
    ("对对对", "affirm", None, False),
    ("唔系呀", "deny", None, False),
    ("你们好", "greet", None, False),
    ("多谢晒你哋", "thanks", None, False),
    ("辛苦晒", "thanks", None, False),
    ("早上好 请问怎么反映问题", "help", None, False),
    ("我要报修", "report", None, False),
    ("我在中山五路，这里的路灯全部都不亮", "report", "streetlight", False),
]

# Known weaknesses: these fail today (strict xfail, so a fix shows up).
KNOWN_WRONG = [
    ("地下室有人住还在里面做饭", "report", None, None),     # no keyword, and 做饭 reads as chit-chat
    ("网吧里有未成年人", "report", None, None),             # no keyword at all
    ("你们处理得真好啊，垃圾还在", "rate_bad", None, None),  # sarcasm reads as praise
    ("不是没有煤气味", None, None, True),                   # double negation reads as negated
    ("谁说没有煤气味", None, None, True),                   # rhetorical negation
    ("垃圾站旁边那条巷好黑", None, "streetlight", None),     # a landmark word counts as evidence
    ("家门口的消防栓一直在漏水", None, "water_leak", None),  # the object outweighs the (split) problem
]


def _check(parser, text, intent, category, urgent):
    p = parser.parse_sync(text)
    got = (p.intent if intent else None, p.category if category else None,
           p.urgent if urgent is not None else None)
    assert got == (intent, category, urgent), p


@pytest.mark.parametrize("text,intent,category,urgent", CASES, ids=[c[0][:20] for c in CASES])
def test_table(parser, text, intent, category, urgent):
    _check(parser, text, intent, category, urgent)


@pytest.mark.parametrize("text,intent,category,urgent", HELD_OUT, ids=[c[0][:20] for c in HELD_OUT])
def test_held_out(parser, text, intent, category, urgent):
    _check(parser, text, intent, category, urgent)


@pytest.mark.xfail(strict=True, reason="known weakness of keyword rules")
@pytest.mark.parametrize("text,intent,category,urgent", KNOWN_WRONG, ids=[c[0][:20] for c in KNOWN_WRONG])
def test_known_wrong(parser, text, intent, category, urgent):
    _check(parser, text, intent, category, urgent)


@pytest.mark.xfail(strict=True, reason="places without a suffix (广州塔, 花城汇, 棠下) are not found")
def test_known_wrong_address_without_suffix(parser):
    assert ("address", "花城汇") in _ents(parser, "花城汇门口有人摆摊")


def test_table_is_big_and_varied():
    assert len(CASES) >= 80 and len(HELD_OUT) >= 200
    assert not {c[0] for c in CASES} & {c[0] for c in HELD_OUT}
    intents = {c[1] for c in CASES if c[1]}
    assert intents == set(INTENTS)
    categories = {c[2] for c in CASES if c[2]}
    assert categories >= set(CATEGORIES) - {"other"}


# ---------------------------------------------------------------- shape of the Parse
async def test_async_parse_matches_sync(parser):
    client: NluClient = parser
    p = await client.parse("楼下垃圾没人收")
    assert isinstance(p, Parse)
    assert p == parser.parse_sync("楼下垃圾没人收")
    assert p.source == "keyword"
    assert p.department is None


def test_parse_fields_are_in_range(parser):
    for text, *_ in CASES:
        p = parser.parse_sync(text)
        assert p.intent in INTENTS
        assert p.category in CATEGORIES
        assert 0.0 <= p.intent_confidence <= 1.0
        # below 1.0: the intake treats 1.0 as "chosen by the user"
        assert 0.0 <= p.category_confidence < 1.0
        assert 1 <= len(p.category_ranking) <= 3
        assert p.category_ranking[0] == (p.category, p.category_confidence)
        scores = [s for _, s in p.category_ranking]
        assert scores == sorted(scores, reverse=True)
        assert all(c in CATEGORIES for c, _ in p.category_ranking)


def test_confidence_is_a_weight_share(parser):
    one = parser.parse_sync("楼下垃圾")
    more = parser.parse_sync("楼下垃圾桶满了，臭死了，苍蝇好多")
    mixed = parser.parse_sync("垃圾站旁边有人乱停车")
    assert one.category == more.category == "garbage"
    assert more.category_confidence > one.category_confidence
    assert {c for c, _ in mixed.category_ranking} == {"garbage", "illegal_parking"}
    assert mixed.category_confidence < one.category_confidence


def test_no_keyword_means_other_with_zero_confidence(parser):
    p = parser.parse_sync("你好")
    assert (p.category, p.category_confidence, p.category_ranking) == ("other", 0.0, (("other", 0.0),))


def test_repeating_a_keyword_does_not_inflate_it(parser):
    once = parser.parse_sync("物业不管，装修好吵")
    twice = parser.parse_sync("物业不管，物业真的不管，物业物业，装修好吵")
    assert once.category == twice.category == "noise"


# ---------------------------------------------------------------- category rules
@pytest.mark.parametrize("text,category", [
    ("有车堵住消防通道", "illegal_parking"),       # fire lane blocked, cause unsaid or a vehicle -> parking
    ("消防通道被占", "illegal_parking"),
    ("消防通道堆满杂物", "fire_hazard"),            # blocked by things -> fire hazard
    ("楼上漏水到楼下", "neighbor_dispute"),         # leaks between flats -> neighbours
    ("天花板渗水，应该是楼上的问题", "neighbor_dispute"),
    ("路边水管漏水", "water_leak"),                 # the public supply -> water
    ("有人烧垃圾", "air_pollution"),                # 烧垃圾 is smoke, not garbage
    ("垃圾桶满了", "garbage"),
    ("楼上邻居半夜还很吵", "noise"),                # noise from neighbours stays noise
    ("电梯坏了", "property_management"),
    ("煤气罐放在楼道", "fire_hazard"),
])
def test_category_rules(parser, text, category):
    assert parser.parse_sync(text).category == category


# ---------------------------------------------------------------- urgency and negation
@pytest.mark.parametrize("text,urgent", [
    ("有煤气味", True),
    ("没有煤气味了", False),
    ("煤气味已经散了", False),
    ("冇煤气味", False),
    ("好像有煤气味", True),
    ("不知道边度有煤气味", True),
    ("井盖没了", True),
    ("井盖松了", False),
    ("冇咗井盖", True),
    ("没有人受伤", False),
    ("有人受伤了", True),
    ("小心别被困", False),
    ("电线掉下来了", True),
    ("电线太乱了", False),
    ("会不会着火啊", False),
    ("唔该，燃气管道漏气好臭", True),            # 唔 in 唔该 is no negation
    ("好多人吃了食堂的饭食物中毒送医院了", True),
    ("路灯箱门开着，里面的电线外露", True),
    ("大树倒了压住了人", True),
    ("煤气味？没有啊", False),
    ("减速带被压坏了", False),
    ("快塌了", True),
    ("烟囱冒黑烟", False),
    ("有火灾隐患", False),
    ("垃圾好臭", False),
    ("路灯不亮", False),
    # kinds of danger written without the usual danger words
    ("楼下那台电动车着了", True),
    ("三楼走廊全是浓烟", True),
    ("路面突然陷下去一个大坑", True),
    ("电梯卡在五楼 里面有个老人出不来", True),
    ("有人正在撬隔壁的门", True),
    ("昨晚有人撬了我家门锁", False),              # a break-in that is over
    ("广告牌一边松脱了 下面就是公交站", True),
    ("仓库进水了 水灌进配电房", True),
    ("家父有失智症 今早出门至今未归", True),
    ("the charger is smoking", True),
    ("my grandson didn't come home from school", True),
    ("the repairman did not come back", False),
    # alarming words where nobody is in danger
    ("楼下垃圾站搞得一塌糊涂", False),
    ("纸箱堵住后门 着火了都跑不出去", False),
    ("有只猫被车撞伤了", False),
    ("共享单车倒在地上一大片", False),
    ("电梯按钮按了没反应", False),
    ("我以为着火了 原来是邻居烧烤", False),
    ("电梯 停 了 我 和 孩子 在 里面", True),       # a space between every word breaks no clause
    ("三位老人吃完午饭都在呕吐", True),
    ("屋里有股像臭鸡蛋的味", True),
    ("水从天花板滴到插苏上", True),
    ("外墙渗水 冇漏到电箱", False),
    ("电梯昨天困了人，已经放出来了", False),
    ("前轮掉下去了 车卡住", False),
    ("吵到我个头都爆炸", False),
])
def test_urgency(parser, text, urgent):
    assert parser.parse_sync(text).urgent is urgent


# ---------------------------------------------------------------- short vs long
def test_short_confirmations_are_not_reports(parser):
    for text in ("好的", "好", "是", "对的", "嗯", "可以", "收到", "OK的", "是的是的", "👌", "正确"):
        assert parser.parse_sync(text).intent == "affirm", text
    # affirm + thanks is thanks, as in the Rasa training data
    for text in ("好的谢谢", "好的，谢谢你们", "好的3q"):
        assert parser.parse_sync(text).intent == "thanks", text
    for text in ("不是", "不用了", "冇", "no"):
        assert parser.parse_sync(text).intent == "deny", text


def test_thanks_inside_a_report_is_still_a_report(parser):
    text = "你好，楼下垃圾站臭了一个星期，苍蝇老鼠都有，小朋友都不敢经过，麻烦尽快处理，谢谢谢谢"
    assert parser.parse_sync(text).intent == "report"
    assert parser.parse_sync("谢谢").intent == "thanks"


def test_greeting_then_problem_is_a_report(parser):
    p = parser.parse_sync("你好，小区门口的路灯坏了")
    assert (p.intent, p.category) == ("report", "streetlight")


def test_politeness_and_greetings_are_peeled(parser):
    assert parser.parse_sync("麻烦！喂").intent == "greet"
    assert parser.parse_sync("唔该！在不在").intent == "greet"
    assert parser.parse_sync("老师好").intent == "greet"
    assert parser.parse_sync("唔该你哋睇下，楼下啲渠塞咗").intent == "report"
    assert parser.parse_sync("你好！还有有啲人成日将垃圾掟喺路边").intent == "add_info"


def test_how_do_i_questions_are_help(parser):
    for text in ("怎样查询进度", "怎么撤销", "点样上传相", "不会用", "指引"):
        assert parser.parse_sync(text).intent == "help", text
    assert parser.parse_sync("进度").intent == "query_progress"


def test_a_phone_number_given_is_a_detail(parser):
    for text in ("电话打这个15838011548", "我手机13800138000", "车牌粤A12345"):
        assert parser.parse_sync(text).intent == "add_info", text


def test_a_long_unknown_message_is_taken_as_a_report(parser):
    p = parser.parse_sync("我们这栋楼的一楼住户最近在门前弄了个东西挡着大家进出很不方便")
    assert p.intent == "report" and p.intent_confidence < 0.5


def test_weak_urge_loses_to_a_problem_but_not_with_a_ticket(parser):
    assert parser.parse_sync("井盖没了，快点处理").intent == "report"
    assert parser.parse_sync("YX-20261123-0007 快点").intent == "urge"


# ---------------------------------------------------------------- entities
def _ents(parser, text):
    p = parser.parse_sync(text)
    for e in p.entities:
        assert text[e.start:e.end] == e.value, e
    return [(e.entity, e.value) for e in p.entities]


@pytest.mark.parametrize("text,expected", [
    ("YX-20261123-0007 到哪了", [("ticket", "YX-20261123-0007")]),
    ("单号yx-20261123-0007", [("ticket", "yx-20261123-0007")]),
    ("查下YX202611230007", [("ticket", "YX202611230007")]),
    ("ＹＸ－２０２６１１２３－０００７", [("ticket", "ＹＸ－２０２６１１２３－０００７")]),
    ("我电话13812345678", [("phone", "13812345678")]),
    ("联系020-12345678或者139 1234 5678", [("phone", "020-12345678"), ("phone", "139 1234 5678")]),
    ("粤A12345乱停", [("plate", "粤A12345")]),
    ("车牌粤A·12345", [("plate", "粤A·12345")]),
    ("新能源车粤AD12345停在消防通道", [("plate", "粤AD12345")]),
    ("中山五路12号楼下有人摆摊", [("address", "中山五路12号")]),
    ("中山5路12号门口", [("address", "中山5路12号")]),
    ("我住东湖新村3栋", [("address", "东湖新村3栋")]),
    ("某某大厦A座对面", [("address", "某某大厦A座")]),
    ("金沙小区门口好多垃圾", [("address", "金沙小区")]),
    ("公园前地铁站C出口旁边", [("address", "公园前地铁站C出口")]),
    ("越秀公园门口", [("address", "越秀公园")]),
    ("第一中学门口好多车", [("address", "第一中学")]),
    ("省人民医院对面", [("address", "省人民医院")]),
    ("东山口菜市场里面", [("address", "东山口菜市场")]),
    ("农林下路和东风东路交叉口积水", [("address", "农林下路和东风东路交叉口")]),
    ("海珠区江南大道中168号3楼漏水", [("address", "海珠区江南大道中168号3楼")]),
    ("恒大城3期5栋2单元502房水管爆了", [("address", "恒大城3期5栋2单元502房")]),
    ("今天早上", [("time", "今天早上")]),
    ("昨晚10点还在吵", [("time", "昨晚10点")]),
    ("已经三天了", [("time", "三天了")]),
    ("10点", [("time", "10点")]),
    ("一个多月了都没人理", [("time", "一个多月了")]),
    ("琴晚半夜两点", [("time", "琴晚半夜两点")]),
    ("上周五开始", [("time", "上周五")]),
    ("今日下昼", [("time", "今日下昼")]),
    ("在盘福路人民北路路口转角", [("address", "盘福路人民北路路口")]),
    ("我住华乐路跟仓边路十字路口门口", [("address", "华乐路跟仓边路十字路口")]),
    ("我系住福今路84号名雅苑的业主", [("address", "福今路84号名雅苑")]),
    ("我家东风东路351号那边", [("address", "东风东路351号")]),
    ("报个事应元路68号路边", [("address", "应元路68号")]),
    ("烟墩路99号大院楼下", [("address", "烟墩路99号大院")]),
    ("在诗书路南段的路边", [("address", "诗书路南段")]),
    ("喺海珠广场东门路边", [("address", "海珠广场东门")]),
    ("德政新苑27号楼出口", [("address", "德政新苑27号楼")]),
    ("本人住在荔湾区烈士陵园一楼住户", [("address", "荔湾区烈士陵园")]),
])
def test_entities(parser, text, expected):
    assert _ents(parser, text) == expected


@pytest.mark.parametrize("text", [
    "我们小区门口的路灯不亮",     # no name: no address
    "这条马路上有好多坑",
    "路边有人摆摊",
    "跳广场舞好吵",
    "城管不管",
    "还有一点要说",               # "一点" is not a time
    "快一点",
    "好多人吃了食堂的饭食物中毒送医院了",  # "…送医院" is no place name
    "十字路口有人摆摊",
])
def test_no_false_entities(parser, text):
    assert [e for e in _ents(parser, text) if e[0] in ("address", "time")] == []


def test_address_stops_before_trailing_place_words(parser):
    for tail in ("楼下", "门口", "对面", "旁边", "附近", "路口"):
        text = f"中山五路12号{tail}有人摆摊"
        assert _ents(parser, text)[0] == ("address", "中山五路12号"), text
    assert _ents(parser, "东湖新村3栋楼下")[0] == ("address", "东湖新村3栋")


def test_several_entities_with_offsets(parser):
    text = "YX-20261123-0007补充：昨晚10点粤A12345又停在东湖新村3栋门口，电话13812345678"
    assert _ents(parser, text) == [
        ("ticket", "YX-20261123-0007"), ("time", "昨晚10点"), ("plate", "粤A12345"),
        ("address", "东湖新村3栋"), ("phone", "13812345678")]
    assert parser.parse_sync(text).intent == "add_info"


def test_normalize_ticket():
    assert normalize_ticket("yx202611230007") == "YX-20261123-0007"
    assert normalize_ticket("ＹＸ－２０２６１１２３－０００７") == "YX-20261123-0007"
    assert normalize_ticket("YX-2026-0007") is None


# ---------------------------------------------------------------- robustness
@pytest.mark.parametrize("text", [
    "", " ", "\n\t", "😀😀😀🎉🎉", "🙂" * 300, "1234567890" * 10, "0" * 5000, "〇" * 5000, "垃圾" * 2500,
    "路" * 5000, "中山五路12号" * 700, "x" * 5000, "\x00\x01\x02", "\ud800", "？？？", "。。。",
    "йцукен", "مرحبا", "🇨🇳" * 100, "没有煤气味" * 1000, "YX-" * 1500, "a1" * 2500,
])
def test_never_raises(parser, text):
    p = parser.parse_sync(text)
    assert p.intent in INTENTS and p.category in CATEGORIES
    for e in p.entities:
        assert text[e.start:e.end] == e.value


def test_non_string_input_does_not_raise(parser):
    assert parser.parse_sync(None).intent == "out_of_scope"  # type: ignore[arg-type]
    assert parser.parse_sync(12345).intent in INTENTS  # type: ignore[arg-type]


def test_empty_and_noise_are_out_of_scope(parser):
    for text in ("", "   ", "？？？", "😀😀"):
        assert parser.parse_sync(text).intent == "out_of_scope", text


def test_5000_characters_is_fast(parser):
    import time
    text = ("楼下垃圾没人收，中山五路12号，电话13812345678，昨晚10点，" * 200)[:5000]
    t0 = time.perf_counter()
    parser.parse_sync(text)
    assert time.perf_counter() - t0 < 1.0


# ---------------------------------------------------------------- tables
def test_tables_load_once_and_do_not_touch_jieba():
    import sys
    a, b = KeywordParser(), KeywordParser()
    assert a.t is b.t
    import nlu.keywords as mod
    assert "jieba" not in mod.__dict__
    if "jieba" in sys.modules:  # someone else imported it: our parse must not have changed its dictionary
        import jieba
        before = len(jieba.dt.FREQ) if jieba.dt.initialized else None
        a.parse_sync("楼下垃圾没人收")
        assert (len(jieba.dt.FREQ) if jieba.dt.initialized else None) == before


def test_tables_reject_unknown_category(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  rubbish:\n    垃圾: 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rubbish"):
        KeywordParser(bad)


def test_custom_tables_path(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text("categories:\n  garbage:\n    垃圾: 3\n", encoding="utf-8")
    p = KeywordParser(small).parse_sync("垃圾")
    assert (p.intent, p.category) == ("report", "garbage")


def test_worry_and_relief_temper_the_classifier_also_when_spaced():
    from nlu.danger import is_tempered
    assert is_tempered("树倒了 还好没砸到人") and is_tempered("树 倒 了 还 好 没 砸 到 人")
    assert not is_tempered("树倒了 压住了人")

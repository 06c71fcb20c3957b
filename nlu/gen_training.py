"""Generates the Rasa NLU training data and a held-out split from templates.

    python -m nlu.gen_training            # writes nlu/rasa/data/nlu/*.yml, nlu/rasa/dictionary/grid.txt,
                                          # nlu/rasa/data/lookups/*.yml and nlu/training_data/heldout.csv

Deterministic (fixed seed), standard library only, so it runs in either venv.

Honesty of the held-out split: it is built from a disjoint part of every pool — about a fifth of
the problem phrasings of each category, of the phrasings of every other intent, of the street,
compound and landmark names — so a held-out message never shares its wording core or its place
names with a training message. The held-out place names are also kept out of the jieba user
dictionary and the lookup tables (they stand for streets the grid vocabulary does not know yet).

Every example carries its labels: intent; for reports (and other messages naming a problem) a
category and an urgent flag as intent-level metadata of its block; entities annotated inline
(`[中山五路12号](address)`). Noise (typos, no punctuation, emoji, full-width or Chinese digits,
Cantonese particles) is applied to the text around entities only.
"""
from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "rasa"
DATA_DIR = PROJECT / "data" / "nlu"
LOOKUP_DIR = PROJECT / "data" / "lookups"
DICT_DIR = PROJECT / "dictionary"
HELDOUT_CSV = HERE / "training_data" / "heldout.csv"

SEED = 20261123
HELDOUT_SHARE = 0.2

# ---------------------------------------------------------------------------------------------
# Places (Guangzhou, mostly Yuexiu). Split into train / held-out pools by a seeded shuffle.
STREETS = """中山五路 中山四路 中山三路 中山六路 北京路 解放北路 解放南路 解放中路 东风东路 东风中路 东风西路
环市东路 环市中路 农林下路 寺右新马路 越秀北路 越秀南路 越秀中路 文明路 文德路 大南路 惠福东路 惠福西路
一德路 人民北路 人民南路 人民中路 盘福路 应元路 执信南路 署前路 烟墩路 德政北路 德政中路 德政南路 仓边路
广卫路 小北路 登峰路 麓景路 下塘西路 建设六马路 建设大马路 淘金路 华乐路 先烈中路 东湖路 大沙头路
沿江中路 沿江西路 长堤大马路 海珠中路 光塔路 诗书路 六榕路 豪贤路 越华路 流花路 站前路 桂花岗
天河路 体育西路 天河北路 黄埔大道西 珠江东路 广州大道中 五羊新城路 梅花路 永福路 恒福路 水荫路 犀牛路
杨箕大街 东华东路 东华西路 福今路 龙腾路 朝天路 芳草街 高第街 北京街 大德路 观绿路 长庚路
""".split()

COMPOUNDS = """华侨新村 东湖新村 五羊新城 锦城花园 越秀花园 侨乐花园 怡安花园 金碧花园 名雅苑 雅荷塘小区
东山新村 竹丝岗小区 农林新村 梅花村 淘金家园 海印苑 恒福花园 建设新村 东华新苑 东园新村 西华小区 光明广场
江湾新城 荔湾花园 天河新村 翠园小区 南方花园 龙腾小区 福今小区 永福新村 珠江新村 白云楼 宏城花园 榕树苑
德政新苑 先烈新村 水荫小区 杨箕新村 达道小区 二沙岛小区
""".split()

LANDMARKS = """北京路步行街 越秀公园 中山纪念堂 农讲所 东山口地铁站 公园前地铁站 烈士陵园 省人民医院 中山一院
海珠广场 广州火车站 流花湖公园 东湖公园 二沙岛体育公园 大佛寺 光孝寺 陈家祠 五仙观 执信中学 广州图书馆
越秀区政府 东川新街市 水荫路菜市场 江南大道地铁站 天河城 正佳广场 海印桥 东濠涌 中山大学北校区 儿童公园
北京路地铁站 杨箕地铁站 五羊邨地铁站 团一大广场 广州塔 沙面 上下九步行街 动物园南门 小北地铁站 淘金地铁站
""".split()

DISTRICTS = ["越秀区", "天河区", "海珠区", "荔湾区", "白云区"]

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def num(rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    r = rng.random()
    if r < 0.12 and n < 100:
        return cn_number(n)
    if r < 0.18:
        return str(n).translate(FULLWIDTH)
    return str(n)


NAME_CHARS = ("东西南北中新华光明和平人民解放建设文化长江黄河太平永安福寿康宁兴隆昌盛丰泰金银玉凤龙鹤松柏梅兰竹菊"
              "荔湾海珠白云天河沙石牌岗头塘湖江山林田园岭洲岛港滨德政执信先烈恒农淘麓景盘应元豪贤越流站诗书榕塔惠"
              "大一仓登峰桂芳草朝阳红星育才青年广州番禺黄埔宝岗同福昌岗赤岗棠下员村猎德冼村石溪瑞宝")
SYN_STREET = "路 路 路 街 大道 大街 马路 一路 二路 三路 东路 西路 南路 北路 中路 直街 横街 巷 里 坊".split()
SYN_COMPOUND = "花园 新村 小区 苑 大厦 广场 家园 新城 公寓 雅苑 山庄 华庭 大院".split()
SYN_LANDMARK = "公园 广场 医院 中学 小学 地铁站 市场 商场 体育馆 图书馆 大厦 酒店 街市 幼儿园 派出所 卫生院".split()


def synthetic_name(rng: random.Random, suffixes: list[str]) -> str:
    stem = "".join(rng.choice(NAME_CHARS) for _ in range(rng.choice([1, 2, 2, 2, 3])))
    return stem + rng.choice(suffixes)


class Places:
    """Place-name pools; `synthetic` is the share of made-up names (training only), so the models learn
    what an address looks like rather than memorising a few dozen street names."""

    def __init__(self, streets, compounds, landmarks, synthetic: float = 0.0):
        self.streets, self.compounds, self.landmarks = streets, compounds, landmarks
        self.synthetic = synthetic

    def _pick(self, rng, pool, suffixes):
        if self.synthetic and rng.random() < self.synthetic:
            return synthetic_name(rng, suffixes)
        return rng.choice(pool)

    def address(self, rng: random.Random) -> str:
        kind = rng.random()
        s = self._pick(rng, self.streets, SYN_STREET)
        if kind < 0.30:
            a = f"{s}{num(rng, 1, 399)}号"
            if rng.random() < 0.2:
                a += rng.choice(["之一", "大院", f"{num(rng, 1, 9)}栋", "首层"])
        elif kind < 0.50:
            c = self._pick(rng, self.compounds, SYN_COMPOUND)
            b = num(rng, 1, 30)
            a = rng.choice([f"{c}{b}栋", f"{c}{b}座", f"{c}{b}号楼", f"{c}{b}栋{num(rng, 1, 6)}单元", c,
                            f"{c}{b}栋{num(rng, 1, 30)}0{num(rng, 1, 6)}"])
        elif kind < 0.65:
            a = self._pick(rng, self.landmarks, SYN_LANDMARK)
            if rng.random() < 0.25:
                a += rng.choice(["东门", "西门", "北门", "南门", "A出口", "B出口", "C出口", "正门"])
        elif kind < 0.78:
            s2 = self._pick(rng, [x for x in self.streets if x != s], SYN_STREET)
            a = rng.choice([f"{s}和{s2}交界", f"{s}{s2}路口", f"{s}与{s2}交叉口", f"{s}{s2}交界处",
                            f"{s}跟{s2}十字路口"])
        elif kind < 0.93:  # a bare street / compound name is the commonest way people say where
            a = rng.choice([f"{s}{rng.choice(['东', '西', '南', '北'])}段", s, s, s, f"{s}中段",
                            self._pick(rng, self.compounds, SYN_COMPOUND)])
        else:
            a = f"{s}{num(rng, 1, 200)}号{self._pick(rng, self.compounds, SYN_COMPOUND)}"
        if rng.random() < 0.12 and not a.startswith(tuple(DISTRICTS)):
            a = rng.choice(DISTRICTS) + a
        return a


# Position words stay OUTSIDE the address span.
POSITIONS = ["", "", "", "门口", "旁边", "附近", "楼下", "对面", "后面", "那边", "路边", "这里", "巷子里",
             "出口", "里面", "嗰度", "隔离", "前面", "转角", "一带", "边上", "嗰边", "近住", "的铺面", "有间铺",
             "天桥底", "公交站", "的", "有"]

# ---------------------------------------------------------------------------------------------
# Report phrasings per category: (phrase, urgent).
U = True
CATEGORY_PHRASES: dict[str, list[tuple[str, bool]]] = {
    "garbage": [(p, False) for p in """垃圾堆咗成日冇人收|垃圾桶满到溢出来了臭死人|有人乱倒建筑垃圾|垃圾两三天没人清运了
|路边好多垃圾没人扫|垃圾站臭气熏天苍蝇到处飞|有人半夜偷倒装修垃圾|大件家具扔在路边好久了没人清
|环卫工好几天没来扫地|垃圾车收垃圾撒了一地|垃圾分类点乱七八糟湿垃圾到处都是|绿化带里面全是烟头和塑料袋
|后巷堆满垃圾老鼠成群|垃圾房的脏水流到路上又脏又臭|楼道里堆了一堆垃圾没人清|河涌上面漂满垃圾
|垃圾桶坏了垃圾散落一地|有啲人成日将垃圾掟喺路边|街边卫生好差到处系垃圾|清洁工扫完垃圾直接堆在树下""".split("|")],
    "street_vending": [(p, False) for p in """有人摆摊卖水果把人行道都占了|走鬼档又出来了堵住路口|夜宵档把桌椅摆到马路上
|店铺把货物堆到门口人行道上|流动摊贩推车卖烧烤满地油污|早餐档占道经营行人都过不去|一到晚上就有好多小贩摆卖
|卖菜的阿姨在路边摆满一地|有个修车档长期占用人行道|水果店越门经营货架摆出来一米多|三轮车停在路口卖东西影响交通
|糖水铺晚上把枱凳摆出街|有人在地铁口摆地摊卖手机壳|大排档占道到凌晨都不收|天桥底下一排摆卖的
|小商贩在学校门口卖零食堵住门口|啲走鬼推车仔卖炒粉成条街都系油|商铺占道经营城管来了又走""".split("|")],
    "illegal_parking": [(p, False) for p in """有辆车停在消防通道上|车乱停把人行道堵死了|有台车停在小区门口好几天没开走
|货车长期霸占路边车位|有车停在盲道上|电动车乱停乱放堵住楼梯口|僵尸车停了半年了轮胎都瘪了
|车停在公交站公交车进不了站|有人把车停在我家车库门口出不去|路口两边停满车双向都过不去|摩托车停满人行道
|有车停在斑马线上|泥头车停在路边一整晚|有车堵住了小区出入口|违停好严重根本行不了车|有台车泊咗喺人哋门口成个礼拜""".split("|")],
    "streetlight": [(p, False) for p in """路灯坏了晚上黑麻麻|路灯一闪一闪的|整条路的路灯都不亮|路灯白天都开着浪费电
|路灯杆歪了好似要倒|巷子里冇灯夜晚好危险|路灯灯罩掉下来了|路灯好暗基本看不清路|有几盏路灯不亮了
|路灯柱锈穿了|隧道里的灯坏了一半|路灯成个礼拜都冇着过|路灯时亮时不亮""".split("|")]
    + [("路灯杆的电线露出来了有人摸到触电", U), ("路灯漏电有只狗被电倒了", U), ("路灯的电线掉在地上还在冒火花", U),
       ("路灯箱门开着里面的电线外露小朋友在旁边玩", U)],
    "road_damage": [(p, False) for p in """路面有个大坑好多电动车摔倒|人行道砖头松了一踩就溅水|井盖松动车一过就哐哐响
|路面裂开好大一条缝|盲道破损得很厉害|马路坑坑洼洼下雨全是水|人行道的地砖翘起来了老人容易绊倒
|减速带坏了钉子露出来|施工后路面没恢复|台阶崩了一块|护栏被撞坏了|井盖下陷比路面低一截
|条路烂晒成日有车爆胎|沥青路面起包了""".split("|")]
    + [("井盖不见了路中间一个大洞", U), ("路面突然塌陷了出现一个大坑", U), ("井盖冇咗有人差点跌落去", U),
       ("马路中间的井盖被偷了车来车往好危险", U), ("地面塌了一个洞有个人掉下去了", U)],
    "water_leak": [(p, False) for p in """水管爆了水一直喷|停水一整天了也没通知|自来水发黄有铁锈味|路边消防栓漏水流了一晚
|水压好低楼上都冇水|地下水管漏水路面一直冒水|水表那里一直滴水|突然停水做饭都冇水|楼顶水箱漏水
|自来水有股怪味|供水管道破裂水漫到路面|水龙头出来的水很浑浊|又停水啦成栋楼冇水冲厕所""".split("|")],
    "drainage": [(p, False) for p in """一下雨就水浸积水到膝盖|下水道堵了污水往上冒|化粪池满了臭到不行|路边排水沟堵塞
|污水横流臭气熏天|雨水井被垃圾堵住了|化粪池冒污水|沙井盖冒黑水|小区里一下雨就水浸街|下水道返臭
|排水管破了污水流到街上|楼下积水几天都退不了|渠道塞咗污水倒灌入屋""".split("|")],
    "greenery": [(p, False) for p in """大树树枝快断了挂在半空|树长得太高挡住了窗户|绿化带的草好久冇人修剪
|树根把人行道拱起来了|有人砍了路边的树|树上好多虫掉得到处都是|绿地被人种了菜|台风后树倒在路边没人清理
|树枝伸到电线上|绿化带里的花草都枯死了|榕树气根垂到路中间|有人毁坏绿化带|棵树就快冚落嚟""".split("|")]
    + [("大树倒了压住了人", U), ("树倒下来砸中一台车里面有人", U), ("树枝掉下来砸伤了路人", U)],
    "illegal_construction": [(p, False) for p in """楼顶有人在搭铁皮房|有人私自加建违章建筑|一楼住户把阳台外扩占了公共通道
|天台搭了个违建|有人在绿地上起了个棚|有人违规加层|违建拆了又搭|在小区空地上私建仓库|有人在天井加建房间
|私自开门开窗改外墙|有人喺天台起屋|楼下铺位私自搭建雨棚占地""".split("|")]
    + [("违建的墙好似要塌了下面好多人经过", U), ("有人私拆承重墙楼板开裂随时要塌", U), ("违建工地的围墙倒了压到人", U)],
    "noise": [(p, False) for p in """半夜装修电钻声吵死人|广场舞音响开得好大声|工地晚上施工吵到睡不着|KTV唱到凌晨三点
|楼下酒吧好吵|喇叭叫卖一天到晚响|空调外机噪音好大|凌晨有人飙车轰鸣声好响|商铺大喇叭放音乐
|工地打桩声音好大|货车半夜卸货好吵|机器轰隆隆响个不停|晚晚都有人喺度唱K嘈到死""".split("|")],
    "air_pollution": [(p, False) for p in """饭店油烟直排熏到家里|工地扬尘好大一层灰|有人烧垃圾烟好大|工厂排废气好刺鼻
|烧烤摊油烟呛死人|有人在空地烧电线味道好臭|泥头车没盖好一路扬尘|汽修店喷漆味好重|烟囱冒黑烟
|餐馆排气扇对住住户窗口|楼下烧纸钱烟熏满楼|啲油烟成日飘入屋企""".split("|")],
    "fire_hazard": [(p, False) for p in """消防通道被杂物堵死了|楼道里堆满纸皮好容易着火|电动车在楼道充电|飞线充电电线从楼上吊下来
|消防栓被埋住了|灭火器都过期了|安全出口被锁住了|仓库里存放好多煤气罐|群租房里乱拉电线
|消防门被人用砖顶住|走火通道堆满杂物""".split("|")]
    + [("着火了好大烟", U), ("楼上冒烟了好似着火", U), ("电动车起火了", U), ("配电箱着火冒火花", U),
       ("厨房着火了里面还有人", U), ("仓库起火烧得好犀利", U)],
    "gas_emergency": [(p, U) for p in """闻到好大煤气味|燃气管道漏气好臭|楼道里一股液化气味|煤气罐漏气了嘶嘶响
|天然气管被挖断了|燃气表那里有漏气声|厨房煤气味好浓唔知边度漏|施工挖破了燃气管|整栋楼都闻到燃气味
|瓶装气漏气|煤气管爆咗好大阵味""".split("|")],
    "property_management": [(p, False) for p in """电梯又坏了物业不理|物业乱收费|小区门禁坏了好久没人修|物业不管小区脏乱差
|物业把公共区域租出去|小区保安形同虚设|物业费涨价没有公示|车位被物业乱收费|小区的监控全坏了物业不修
|楼道灯坏了报了物业几次都冇人理|物业公司收了钱不办事|管理处成日揾唔到人""".split("|")]
    + [("电梯困住人了里面有老人小孩", U), ("电梯突然往下掉有人困在里面", U)],
    "neighbor_dispute": [(p, False) for p in """楼上漏水到我家楼上不肯修|邻居在公共走廊堆东西讲都不听
|隔离屋养狗狗屎到处都是讲佢又闹人|邻居装修把我家墙搞裂了|邻居家的空调滴水到我家阳台|对门把鞋柜摆到走廊
|和邻居因为车位吵起来了|楼上成日高空抛物|邻居占用楼顶晒台不让人上去|楼上成日拖凳跑跳讲咗几次都唔听
|邻居在门口装摄像头对着我家|同隔篱屋因为晒衣服嘈交""".split("|")],
    "public_security": [(p, False) for p in """有人偷电动车|有可疑人员在小区转悠|有人聚众赌博|单车被偷了|有人撬门
|晚上有醉汉闹事|有人在巷子里吸毒|有传销窝点|有人在路边抢手机|有人卖假货骗老人|有贼仔成日爆格""".split("|")]
    + [("有人打架有人流血了", U), ("有人持刀追人", U), ("有人被打伤了躺在地上", U), ("有班人打交打到头破血流", U),
       ("有个走失的老人不记得自己家", U)],
    "social_assistance": [(p, False) for p in """有个老人家独居好几天没见出门|路边有流浪汉冻得发抖|家里困难想申请低保
|残疾人补贴怎么申请|独居老人冇人照顾|想申请临时救助|有个流浪老人睡在天桥底
|高龄津贴一直没发|屋企好困难想揾政府帮下手""".split("|")]
    + [("独居老人晕倒在家里", U)],
    "wage_arrears": [(p, False) for p in """老板欠了我们三个月工资|工地拖欠农民工工资|公司不给买社保|被无故辞退不给赔偿
|包工头跑路了工钱没结|加班费不给|餐馆老板拖欠工资|厂里不签劳动合同|工资被克扣|欠薪好久讨薪无门
|老细走佬冇出粮""".split("|")],
    "food_safety": [(p, False) for p in """餐馆后厨好脏老鼠乱窜|买到过期食品|外卖吃了拉肚子|小摊卖的肉有异味|无证经营的小餐馆
|饭店用地沟油|超市卖变质的牛奶|学校门口卖三无食品|熟食店苍蝇满天飞|奶茶店卫生好差|烧腊档啲叉烧臭咗都照卖""".split("|")]
    + [("好多人吃了食堂的饭食物中毒送医院了", U)],
    "other": [(p, False) for p in """流浪狗好多经常追人|墙上贴满小广告|共享单车堆成山|公交站牌坏了|有人遛狗不拴绳
|墙上被人乱涂乱画|流浪猫好多晚晚叫|手机信号好差|广告横幅破烂挂着好难看|有人养鸽子满地鸽子屎|啲野猫成日翻垃圾桶""".split("|")]
    + [("有个老人摔倒在路边起不来", U), ("有个阿婆晕低咗喺街度", U)],
}

# The phrase lists above are written across lines: normalise them.
CATEGORY_PHRASES = {c: [(t.strip(), u) for t, u in ps if t.strip()] for c, ps in CATEGORY_PHRASES.items()}

# Compositional frames: every subject × problem is a phrasing (split 80/20 at the combination level,
# so held-out phrasings reuse words but never a whole training phrasing). (subjects, problems, urgent)
FRAMES: dict[str, list[tuple[str, str, bool]]] = {
    "garbage": [("垃圾|垃圾桶|垃圾站|建筑垃圾|装修垃圾|生活垃圾|大件垃圾|厨余垃圾|垃圾房|啲垃圾",
                 "堆咗成日冇人收|满到溢出来|臭气熏天|好几天没人清运|倒得满地都是|招老鼠苍蝇|没人清理|乱扔乱倒|发臭流脏水|堆成山", False)],
    "street_vending": [("小贩|走鬼|流动摊贩|夜宵档|水果摊|早餐档|大排档|卖菜的|烧烤摊|摆地摊的",
                        "占道经营|占住人行道|摆满一地|堵住路口|乱摆卖|把桌椅摆到马路上|推车仔周围走|晚晚出嚟摆摊|越门经营|占道到半夜", False)],
    "illegal_parking": [("小车|货车|私家车|电动车|摩托车|面包车|泥头车|出租车|僵尸车|有台车",
                         "乱停乱放|停在消防通道|堵住小区门口|停在人行道上|占用盲道|违章停车|停在路口|长期霸占车位|堵住车库门口|停在斑马线", False)],
    "streetlight": [("路灯|街灯|路灯杆|巷子的灯|路口的灯|隧道灯|景观灯|一排路灯",
                     "坏了|不亮|一闪一闪|晚上黑麻麻|成个礼拜冇着过|白天都开着|好暗|灯罩掉了|歪了|时亮时不亮", False),
                    ("路灯|路灯杆|路灯箱|灯柱", "漏电|电线外露|电线掉在地上|冒火花", True)],
    "road_damage": [("路面|人行道|马路|盲道|地砖|台阶|井盖|减速带|护栏|沥青路",
                     "烂了|有个大坑|坑坑洼洼|裂开|破损|松动|翘起来|下陷|崩了一块|凹凸不平", False),
                    ("井盖|沙井盖|下水道井盖|路中间的井盖", "不见了|冇咗|被偷了|丢失了", True),
                    ("路面|马路|人行道|地面", "塌陷了|突然塌了|塌咗一个洞", True)],
    "water_leak": [("水管|自来水管|供水管|水表|消防栓|楼顶水箱|地下水管|水龙头",
                    "爆了|漏水|一直滴水|破裂|喷水|冒水|漏到成地都系水|水流不停", False),
                   ("自来水|食水|水|家里的水", "停了一整天|发黄|有怪味|好浑浊|水压好低|突然停了|冇水|有铁锈味", False)],
    "drainage": [("下水道|排水沟|化粪池|沙井|雨水井|排水管|渠道|污水管",
                  "堵塞|堵了|冒污水|返臭|满了|倒灌|溢出来|冒黑水|臭到不行|排不出水", False),
                 ("街道|小区|路口|楼下|隧道", "一下雨就水浸|积水好深|水浸街|积水几天都退不了|积水到膝盖", False)],
    "greenery": [("大树|树枝|榕树|绿化带|草坪|行道树|花基|树根|树木",
                  "快断了|冇人修剪|长得太高|挡住窗户|枯死了|被人砍了|被破坏|拱起人行道|长满虫|倒在路边", False),
                 ("大树|树|树枝|榕树", "倒了压住了人|砸伤了路人|砸中一台车|倒下来压到人", True)],
    "illegal_construction": [("铁皮房|违章建筑|违建|天台加建|雨棚|棚屋|阁楼|围墙",
                              "私自搭建|违规加建|拆了又搭|占用公共通道|未批先建|越搭越大|加建了一层|起在绿地上", False),
                             ("违建|违章建筑|私搭的墙|加建的房", "好似要塌了|随时会倒塌|开裂快塌了", True)],
    "noise": [("装修|工地|广场舞|酒吧|KTV|喇叭|空调外机|货车卸货|打桩机|音响",
               "噪音好大|吵到睡不着|嘈到死|半夜还在响|声音好大|吵得人头痛|日日都好嘈|到凌晨还很吵", False)],
    "air_pollution": [("油烟|扬尘|废气|黑烟|焚烧|喷漆味|烧垃圾的烟|烧烤的烟",
                       "好大|熏到家里|呛死人|刺鼻|直排|成日飘入屋|污染空气|熏到眼都睁唔开", False)],
    "fire_hazard": [("消防通道|楼梯间|走火通道|安全出口|消防栓|楼道|消防门",
                     "被堵死了|堆满杂物|被锁住了|被占用|堆满纸皮|被埋住了|停满电动车", False),
                    ("电动车|飞线|电线|插排", "在楼道充电|乱拉乱接|私拉充电", False),
                    ("房子|厨房|楼上|仓库|电动车|配电箱|商铺", "着火了|起火了|冒烟着火|烧起来了", True)],
    "gas_emergency": [("煤气|燃气|天然气|液化气|煤气罐|燃气管|瓶装气|燃气表",
                       "漏气|泄漏|味好大|嘶嘶响|味好浓|被挖断了|爆咗", True)],
    "property_management": [("物业|物业公司|管理处|保安|电梯|门禁|小区监控|物业费",
                             "不作为|乱收费|冇人理|坏了没人修|服务好差|成日揾唔到人|收钱不办事|涨价不公示", False),
                            ("电梯", "困住人了|困人|突然下坠有人困住", True)],
    "neighbor_dispute": [("邻居|楼上|隔离屋|对门|楼下住户|隔篱",
                          "漏水到我家不肯修|在走廊乱堆东西|成日吵架|占用公共地方|高空抛物|装修搞裂我家墙|讲都唔听|空调滴水到我家", False)],
    "public_security": [("小偷|可疑人员|醉汉|贼仔|骗子|赌档|传销",
                         "经常出没|偷电动车|撬门|闹事|聚众赌博|骗老人|半夜在小区转悠|抢手机", False),
                        ("有人|一班人|两个男人", "打架流血了|持刀伤人|被打伤了", True)],
    "social_assistance": [("独居老人|流浪汉|困难户|残疾人|孤寡老人|低保户",
                           "冇人照顾|想申请救助|生活好困难|补贴冇发|睡在天桥底|需要帮忙|想申请低保", False),
                          ("独居老人|独居阿婆|孤寡老人", "晕倒在家|在家摔倒起不来|喺屋企晕低咗", True)],
    "wage_arrears": [("老板|包工头|公司|工厂|餐馆老板|老细|工地",
                      "拖欠工资|欠薪三个月|不给社保|克扣工钱|不签劳动合同|跑路了工钱没结|无故辞退不给赔偿|冇出粮", False)],
    "food_safety": [("餐馆|外卖|超市|熟食店|小食店|奶茶店|早餐店|烧腊档|食堂",
                     "卫生好差|卖过期食品|食物变质|后厨好脏|用地沟油|无证经营|吃了拉肚子|有苍蝇老鼠", False),
                    ("食堂|餐馆|外卖", "好多人食物中毒", True)],
    "other": [("流浪狗|流浪猫|小广告|共享单车|野猫|鸽子|涂鸦|广告横幅",
               "好多|到处都是|乱贴|堆成山|成日追人|满地都是|好难看|冇人管", False)],
}


def _frame_phrases(cat: str) -> list[tuple[str, bool]]:
    out = []
    for subjects, problems, urgent in FRAMES.get(cat, []):
        for s in subjects.split("|"):
            for p in problems.split("|"):
                out.append((s + p, urgent))
    return out


CATEGORY_WORDS = {
    "garbage": ["垃圾", "环境卫生", "卫生"], "street_vending": ["摆摊", "占道经营", "走鬼"],
    "illegal_parking": ["乱停车", "违停", "停车"], "streetlight": ["路灯"], "road_damage": ["井盖", "路面", "坑"],
    "water_leak": ["停水", "漏水", "水管"], "drainage": ["下水道", "水浸", "积水"], "greenery": ["树", "绿化"],
    "illegal_construction": ["违建", "违章建筑"], "noise": ["噪音", "装修噪音", "吵"], "air_pollution": ["油烟", "扬尘"],
    "fire_hazard": ["消防通道", "消防"], "gas_emergency": ["煤气", "燃气"], "property_management": ["物业", "电梯"],
    "neighbor_dispute": ["邻居", "楼上漏水"], "public_security": ["治安", "偷车"], "social_assistance": ["低保", "救助"],
    "wage_arrears": ["欠薪", "工资"], "food_safety": ["食品安全", "地沟油"], "other": ["流浪狗", "小广告"],
}

OPENINGS = ["", "", "", "你好", "您好 ", "喂", "网格员你好 ", "唔该", "我要投诉", "反映个问题", "麻烦一下", "我要举报",
            "报个事", "你好我想反映一下", "求助", "老师你好", "唔该你哋睇下", "哈喽", "紧急", "师傅"]
REQUESTS = ["", "", "", "麻烦尽快处理", "请派人来看看", "快啲嚟整下啦", "希望有关部门管一管", "谢谢", "唔该晒", "！！！",
            "🙏", "有冇人理啊", "请处理", "赶紧来人", "拜托了", "投诉好多次了", "求求你们管管", "😡😡", "谢谢网格员",
            "麻烦跟进", "快点来", "有人管吗"]
TIMES = ["昨天晚上", "今天早上", "今朝", "琴晚", "前天", "这几天", "最近一个月", "每天晚上十点后", "凌晨两点",
         "下午3点左右", "上周五", "11月20号", "刚刚", "今晚", "星期一", "每天早上6点", "早上八点", "中午12点",
         "晚上9点多", "上个星期", "今日下昼", "噚日", "周末", "半夜三点", "近排", "这两天", "今天下午"]
TIME_FRAMES = ["{t}开始", "{t}", "从{t}到现在", "{t}就"]

EMOJI = ["😡", "😤", "🙏", "👍", "😭", "😓", "🤬", "💩", "🚗", "🔥", "😷", "🌳", "💡", "🚧", "🙄", "😂", "👌", "❤️", "⚠️", "🆘"]

TYPOS = [("垃圾", "拉圾"), ("已经", "以经"), ("处理", "处里"), ("噪音", "燥音"), ("反映", "反应"), ("现在", "现再"),
         ("怎么", "咋"), ("没有", "冇"), ("一直", "一只"), ("麻烦", "麻番"), ("马上", "马尚"), ("好像", "好象"),
         ("投诉", "头诉"), ("谢谢", "3q"), ("的", "滴"), ("什么", "神马"), ("这里", "呢度"), ("不", "唔"),
         ("在", "喺"), ("了", "咗"), ("进度", "进渡"), ("赶紧", "赶快"), ("工资", "工钱"), ("人行道", "行人路")]

PUNCT = "，。！？、 ,.!?~…"


# ---------------------------------------------------------------------------------------------
# Non-report intents: phrasings with slots {ticket} {cat} {addr} {phone} {plate} {problem} {time}.
INTENT_PHRASES: dict[str, list[str]] = {
    "greet": """你好|您好|在吗|早上好|晚上好|hello|hi|喂|网格员在吗|有人吗|哈喽|早晨|你好呀|嗨|午安|下午好|在不在
|老师好|早|喂有人在吗|hello在吗|你好网格秘书|hi 你好|打扰一下|请问有人吗""".split("|"),
    "query_progress": """{ticket}进度怎么样了|我上次报的{cat}问题处理到哪了|我的{cat}问题处理到哪了|查一下进度|我报嘅嘢点样啦
|有冇人跟进啊|{ticket}处理了吗|之前反映的{addr}那个事有结果没|我的工单呢|帮我查下{ticket}|我反映的问题现在什么状态
|上次投诉的{cat}有人处理没|{ticket}到哪一步了|查询工单{ticket}|我想问下之前报的{cat}搞成点|进度查询|我的投诉有回复了吗
|请问{ticket}派单了吗|我之前报过{addr}的{cat}问题 现在怎样了|查下我的单|上礼拜报嘅{cat}有冇人睇过|有结果了吗
|帮我看看我报的问题到哪了|工单状态|我提交的事情处理得怎么样""".split("|"),
    "urge": """催一下|怎么还没人来|都三天了还没处理快点|麻烦催催|{ticket}赶紧处理下|点解仲未搞掂啊|能不能快点
|等了一个礼拜都冇人嚟|催单|{cat}问题到现在还没解决 快点派人|快点处理啦|再催一次|拖了这么久还不处理|{ticket}请加急
|求快点|几时先嚟整啊|赶紧派人来|还要等多久啊 催一下|麻烦加快进度|我都催咗好多次|拜托快点处理{addr}的事
|急啊 快点|帮我催一下{ticket}|一直冇人理 快啲啦""".split("|"),
    "add_info": """补充一下|补充：具体位置在{addr}|补充下 位置系{addr}{pos}|补充下|补多句 {problem}|还有{problem}|再说一下具体位置是{addr}|我发张相片补充|忘了说 电话{phone}
|联系电话{phone}|车牌是{plate}|补充 车牌{plate}|补充说明 {time}又出现了|另外 {problem}|我再补充一点 地址是{addr}
|位置更正一下 是{addr}|电话打这个{phone}|顺便补充{problem}|补充资料|再加一句 {problem}|漏咗讲 系{addr}
|有新情况 {problem}|我的手机号{phone}|补充一张图|还有一点要补充|车牌号码{plate} 麻烦记下""".split("|"),
    "cancel": """撤销{ticket}|取消刚才的上报|不用处理了已经好了|搞错了撤回|唔使搞啦已经冇事|那个单取消吧|取消工单{ticket}
|我要撤回投诉|算了不报了|问题已经解决了可以关单|报错了 删掉|撤单|取消上报|唔使跟啦|不用来了 自己搞定了
|刚才那个不算 撤销|{ticket}不用处理了 取消|投诉撤回|误报 请取消|已经冇问题 取消吧""".split("|"),
    "rate_good": """处理得很好|点赞👍|满意|五星好评|效率好高|好快就搞掂 多谢|非常满意|服务很好|网格员好负责|给个好评
|办得好|处理及时 赞|好评|非常好|师傅好专业 满意|很满意的处理结果|速度快 点赞|做得好|好正 搞掂晒|十分满意""".split("|"),
    "rate_bad": """不满意|差评|处理得很差|敷衍了事|根本没有解决 不满意|态度好差|一星|非常不满意|来拍个照就走了 差评
|服务太差|处理结果不满意|唔满意|求其做下 差评|效率太低 不满意|应付了事|好失望|很不满意这个处理结果|垃圾服务
|做嘢唔认真|给差评""".split("|"),
    "help": """怎么用|你能干嘛|怎么报问题|帮助|菜单|有什么功能|我该怎么操作|点用㗎|help|使用说明|怎么上报|可以做什么
|教我怎么用|不会用|你可以帮我做啲乜|怎样查询进度|指引|功能介绍|怎么投诉|操作指南""".split("|"),
    "affirm": """是的|对|对的|嗯|嗯嗯|好|好的|冇错|系啊|系呀|没错|可以|行|确认|ok|是啊|对对对|就是这个|没问题|得
|好嘅|正确|是|确定|冇问题|OK的|好啊|系|就系咁|yes|对呀|嗯对|是这样""".split("|"),
    "deny": """不是|不对|唔系|错了|不要|不用|没有|不是这个|唔啱|否|no|不行|不需要|唔要|冇|不是的|搞错了不是这样
|唔系呢个|不对不对|算了不用|唔使|不是那里""".split("|"),
    "thanks": """谢谢|多谢|唔该|辛苦了|感谢|谢谢你|多谢晒|唔该晒|thanks|thx|谢啦|感谢网格员|辛苦晒|非常感谢|谢谢你们
|万分感谢|多谢你哋|好的谢谢|3q|感恩""".split("|"),
    "out_of_scope": """今天天气怎么样|帮我买电脑|讲个笑话|股票会不会涨|你是男是女|推荐一家好吃的餐厅|明天会下雨吗
|帮我订机票|你叫什么名字|今晚食乜好|世界杯谁会赢|帮我写作业|唱首歌|你几岁|附近有什么好玩的|借我点钱|1+1等于几
|翻译一下hello|帮我查快递|你喜欢什么颜色|怎么减肥|周末去边度玩好|我好闷|打机啦|iphone多少钱""".split("|"),
}


INTENT_PHRASES = {i: [t.strip() for t in ps if t.strip()] for i, ps in INTENT_PHRASES.items()}

# Compositional phrasings of intents (split at the combination level, like FRAMES).
INTENT_FRAMES: dict[str, list[tuple[str, str]]] = {
    "greet": [("你好|您好|hi|hello|哈喽|嗨|早上好|早晨|下午好|晚上好|早安|喂|大家好", "|在吗|网格员|有人吗|呀|啊|在不在|打扰一下")],
    "thanks": [("谢谢|多谢|唔该|感谢|辛苦了|感恩|万分感谢|thx|谢啦", "|你|你们|晒|网格员|啦|哈|师傅|你哋")],
    "affirm": [("是|是的|对|对的|嗯|好|好的|冇错|系|没错|可以|行|确认|ok|正确|就是", "|啊|呀|嘅|对对|嗯嗯|没问题|就是这个|系啊")],
    "deny": [("不是|不对|唔系|错了|不要|不用|没有|不行|不需要|唔要|唔啱|唔使|no", "|啊|的|不是这个|搞错了|不是那里|唔系呢度|算了")],
    "help": [("怎么|点样|如何|教我|我想知|请问点", "用|报问题|查进度|投诉|操作|上报|使用呢个机器人|提交工单")],
    "rate_good": [("处理得|办得|服务|效率|师傅|网格员|结果", "很好|好快|不错|满意|好正|一流|好专业|点赞👍|五星")],
    "rate_bad": [("处理得|办得|服务|效率|态度|网格员|结果", "很差|太慢|不满意|好差|敷衍|唔得|差评|一星|应付了事")],
    "urge": [("麻烦|请|快啲|赶紧|拜托|求你哋", "催一下|快点处理|加快进度|派人来|跟进下|搞掂佢|加急处理")],
    "query_progress": [("我的|我报的|之前反映的|上次投诉的|我提交的", "工单进度|问题处理到哪了|事情怎么样了|单有结果没|投诉有回复吗|问题搞成点")],
    "cancel": [("取消|撤销|撤回|删除|唔使搞", "工单|刚才的上报|投诉|那个单|呢单|上报|")],
    "out_of_scope": [("帮我|可不可以|你会不会|教我", "订外卖|买股票|写作文|算命|订酒店|打游戏|讲笑话|翻译英文|减肥|炒股")],
}


def _intent_frame_phrases(intent: str) -> list[str]:
    return [a + b for subjects, tails in INTENT_FRAMES.get(intent, []) for a in subjects.split("|")
            for b in tails.split("|") if a + b]


# ---------------------------------------------------------------------------------------------
def split_pool(items: list, rng: random.Random, share: float = HELDOUT_SHARE, keep=()) -> tuple[list, list]:
    """Seeded split into (train, held-out); items in `keep` always go to train."""
    items = list(items)
    rng.shuffle(items)
    forced = [x for x in items if x in keep]
    rest = [x for x in items if x not in keep]
    k = max(1, round(len(items) * share))
    return forced + rest[k:], rest[:k]


# The commonest bare phrasings of each intent are always trained on (a bot that does not know 你好 or
# 好的 is useless); the held-out split draws from the rest.
CORE = {
    "greet": ["你好", "您好", "在吗", "hello", "hi", "喂", "你好在吗"],
    "thanks": ["谢谢", "多谢", "唔该", "唔该晒", "感谢", "辛苦了", "谢谢你"],
    "affirm": ["是", "是的", "好的", "好", "对", "嗯", "可以", "系", "对的", "没错"],
    "deny": ["不是", "不对", "不用", "不要", "唔系", "没有", "不是的"],
    "urge": ["催一下", "快点处理", "催单", "麻烦催催"],
    "query_progress": ["查一下进度", "我的工单呢", "进度查询", "有结果了吗"],
    "cancel": ["取消", "撤销", "撤单", "取消上报", "不用处理了"],
    "help": ["怎么用", "帮助", "菜单", "help", "使用说明"],
    "rate_good": ["满意", "好评", "点赞👍", "非常满意"],
    "rate_bad": ["差评", "不满意", "非常不满意"],
    "out_of_scope": ["今天天气怎么样", "讲个笑话", "你叫什么名字"],
    "add_info": ["补充一下", "补充资料"],
}
BARE_MAX = 30  # bare (slot-free, noise-free) phrasings per intent in the training set


def ticket(rng: random.Random) -> str:
    return f"YX-2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 300):04d}"


def phone(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
    return f"020-{rng.randint(20000000, 89999999)}"


PLATE_PROV = "粤粤粤粤湘桂赣闽京沪"


def plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    tail = "".join(rng.choice(letters + "0123456789" * 3) for _ in range(rng.choice([5, 5, 5, 6])))
    p = f"{rng.choice(PLATE_PROV)}{rng.choice('AAAABDE')}{tail}"
    return p if rng.random() > 0.1 else p[0] + p[1:].lower()


class Example:
    """A message as segments of (text, entity-or-None)."""

    def __init__(self):
        self.segs: list[tuple[str, str | None]] = []

    def add(self, text: str, entity: str | None = None) -> "Example":
        if text:
            self.segs.append((text, entity))
        return self

    def annotated(self) -> str:
        return "".join(f"[{t}]({e})" if e else t for t, e in self.segs)

    def plain(self) -> str:
        return "".join(t for t, _ in self.segs)

    def entities(self) -> list[dict]:
        out, pos = [], 0
        for t, e in self.segs:
            if e:
                out.append({"entity": e, "value": t, "start": pos, "end": pos + len(t)})
            pos += len(t)
        return out


def noisy(text: str, rng: random.Random) -> str:
    """Typos, dropped punctuation, spaces: only for non-entity text."""
    if rng.random() < 0.3:
        for a, b in rng.sample(TYPOS, 3):
            if a in text and rng.random() < 0.6:
                text = text.replace(a, b, 1)
    return text


def finish(ex: Example, rng: random.Random) -> Example:
    """Applies noise to the text segments, punctuation style and emoji."""
    segs = []
    for t, e in ex.segs:
        segs.append((t if e else noisy(t, rng), e))
    style = rng.random()
    if style < 0.35:  # no punctuation at all
        segs = [(t if e else re.sub(r"[，。！？、,.!? ]+", "", t) or "", e) for t, e in segs]
    elif style < 0.55:  # spaces instead of punctuation
        segs = [(t if e else re.sub(r"[，。！？、,.!?]+", " ", t), e) for t, e in segs]
    if rng.random() < 0.18:
        segs.append((rng.choice(EMOJI) * rng.choice([1, 1, 2, 3]), None))
    if rng.random() < 0.1:
        segs.insert(0, (rng.choice(EMOJI), None))
    out = Example()
    for t, e in segs:
        out.add(t, e)
    # trim leading/trailing spaces (Rasa strips them from examples)
    if out.segs and out.segs[0][1] is None:
        out.segs[0] = (out.segs[0][0].lstrip(), None)
    if out.segs and out.segs[-1][1] is None:
        out.segs[-1] = (out.segs[-1][0].rstrip(), None)
    out.segs = [(t, e) for t, e in out.segs if t]
    return out


def sep(rng: random.Random) -> str:
    return rng.choice(["", "", "，", " ", "。", "！", ",", "、"])


def time_expr(rng: random.Random) -> tuple[str, str, str]:
    """Returns (before, time value, after) so the value is annotated alone."""
    t = rng.choice(TIMES)
    frame = rng.choice(TIME_FRAMES)
    before, after = frame.split("{t}")
    return before, t, after


def make_report(cat: str, phrase: str, places: Places, rng: random.Random) -> Example:
    ex = Example()
    opening = rng.choice(OPENINGS) if rng.random() < 0.55 else ""  # many messages start with the place
    ex.add(opening + (sep(rng) if opening else ""))
    has_addr = rng.random() < 0.85
    has_time = rng.random() < 0.35
    form = rng.random()
    addr = places.address(rng) if has_addr else None
    pos = rng.choice(POSITIONS)

    def add_time():
        b, t, a = time_expr(rng)
        ex.add(b).add(t, "time").add(a)

    def add_addr(lead: str):
        ex.add(lead).add(addr, "address").add(pos)

    if not has_addr:
        if has_time:
            add_time()
        ex.add(phrase)
    elif form < 0.45:
        add_addr(rng.choice(["", "", "", "", "", "", "在", "喺", "我们", "我家", "我住", "我哋", "位于", "最近", "隔壁在"]))
        ex.add(sep(rng))
        if has_time:
            add_time()
        ex.add(phrase)
    elif form < 0.65:
        if has_time:
            add_time()
        ex.add(phrase + sep(rng) + rng.choice(["地址", "地址：", "位置在", "地点:", "喺", "在", "就在", "系", " ", " ",
                                               ""]))
        ex.add(addr, "address").add(pos)
    elif form < 0.85:
        ex.add(rng.choice(["我要反映", "投诉", "反映一下", "举报", "报告"]) + sep(rng))
        add_addr(rng.choice(["", "", "在"]))
        ex.add(rng.choice(["", "的", "嘅", "有", "成日", "经常"]) + phrase)
        if has_time:
            ex.add(sep(rng))
            add_time()
            ex.add(rng.choice(["就这样", "开始的", "一直这样", "就系咁", ""]))
    else:  # long form
        ex.add(rng.choice(["我系住", "我住在", "我是", "本人住在"]))
        ex.add(addr, "address").add(rng.choice(["的居民", "嘅街坊", "的业主", ""]) + sep(rng))
        ex.add(phrase + sep(rng))
        if has_time:
            add_time()
            ex.add(rng.choice(["就咁样", "就开始了", "一直都系咁", "到现在都是这样"]) + sep(rng))
        ex.add(rng.choice(["已经影响到大家生活", "好多街坊都有意见", "讲过好多次", "严重影响出行", ""]))
    if cat == "illegal_parking" and rng.random() < 0.35:
        ex.add(sep(rng) + rng.choice(["车牌", "车牌号", "车牌系", ""])).add(plate(rng), "plate")
    if rng.random() < 0.08:
        ex.add(sep(rng) + rng.choice(["联系电话", "电话", "我电话"])).add(phone(rng), "phone")
    ex.add(sep(rng) + rng.choice(REQUESTS))
    return finish(ex, rng)


def make_intent(intent: str, phrase: str, places: Places, phrases_by_cat, rng: random.Random):
    """Fills a phrasing's slots; returns (Example, category or None, urgent)."""
    ex = Example()
    category = None
    urgent = False
    parts = re.split(r"(\{\w+\})", phrase)
    for p in parts:
        if p == "{ticket}":
            ex.add(ticket(rng), "ticket")
        elif p == "{pos}":
            ex.add(rng.choice(POSITIONS))
        elif p == "{addr}":
            ex.add(places.address(rng), "address")
        elif p == "{phone}":
            ex.add(phone(rng), "phone")
        elif p == "{plate}":
            ex.add(plate(rng), "plate")
        elif p == "{time}":
            ex.add(rng.choice(TIMES), "time")
        elif p == "{cat}":
            category = rng.choice(list(CATEGORY_WORDS))
            ex.add(rng.choice(CATEGORY_WORDS[category]))
        elif p == "{problem}":
            category = rng.choice(list(phrases_by_cat))
            text, urgent = rng.choice(phrases_by_cat[category])
            ex.add(text)
        else:
            ex.add(p)
    if rng.random() < 0.12 and intent not in ("affirm", "deny"):
        ex.segs.insert(0, (rng.choice(["你好", "喂", "唔该", "麻烦", "请问"]) + sep(rng), None))
    if rng.random() < 0.15:
        ex.add(rng.choice(["", "啊", "呀", "啦", "吖", "喔", "哦", "嘛", "吧"]))
    ex = finish(ex, rng)
    if rng.random() < 0.1 and len(ex.plain()) <= 6:
        ex.segs = [(t * 2 if not e else t, e) for t, e in ex.segs]  # "好好", "谢谢谢谢"
    return ex, category, urgent


# ---------------------------------------------------------------------------------------------
# Template volume is kept below the hand-written people corpus (nlu/training_data/people, written to
# people.yml by nlu.people_corpus) so templates add entity coverage (time, phone, plate, ticket, synthetic
# place names) without drowning the way people write. Was 55 reports per category / 45 per intent / 40 bare.
def generate(n_report_train=40, n_report_held=14, n_intent_train=30, n_intent_held=14, seed=SEED):
    rng = random.Random(seed)
    streets_tr, streets_ho = split_pool(STREETS, rng, 0.25)
    comps_tr, comps_ho = split_pool(COMPOUNDS, rng, 0.25)
    lands_tr, lands_ho = split_pool(LANDMARKS, rng, 0.25)
    places_tr = Places(streets_tr, comps_tr, lands_tr, synthetic=0.5)
    places_ho = Places(streets_ho, comps_ho, lands_ho)

    cat_tr, cat_ho = {}, {}
    for cat, phrases in CATEGORY_PHRASES.items():
        phrases = list(dict.fromkeys(phrases + _frame_phrases(cat)))
        urgent = [p for p in phrases if p[1]]
        normal = [p for p in phrases if not p[1]]
        a, b = split_pool(normal, rng)
        cat_tr[cat], cat_ho[cat] = a, b
        if urgent:
            if len(urgent) >= 3:
                a, b = split_pool(urgent, rng)
                cat_tr[cat] += a
                cat_ho[cat] += b
            else:
                cat_tr[cat] += urgent
                cat_ho[cat] += urgent  # too few to split: shared wording, different context
    int_tr, int_ho = {}, {}
    for intent, phrases in INTENT_PHRASES.items():
        phrases = list(dict.fromkeys(phrases + _intent_frame_phrases(intent)))
        int_tr[intent], int_ho[intent] = split_pool(phrases + [c for c in CORE.get(intent, []) if c not in phrases],
                                                    rng, keep=set(CORE.get(intent, [])))

    train: list[dict] = []
    held: list[dict] = []
    seen: set[str] = set()

    def emit(bucket, ex: Example, intent, category=None, urgent=False):
        text = ex.plain()
        if not text.strip() or text in seen:
            return False
        seen.add(text)
        bucket.append({"ex": ex, "intent": intent, "category": category, "urgent": urgent})
        return True

    def fill(bucket, n, make):
        tries = 0
        count = 0
        while count < n and tries < n * 20:
            tries += 1
            if emit(bucket, *make()):
                count += 1

    for cat in CATEGORY_PHRASES:
        for bucket, pool, places, n in ((train, cat_tr, places_tr, n_report_train), (held, cat_ho, places_ho, n_report_held)):
            def make(pool=pool, places=places, cat=cat):
                phrase, urg = rng.choice(pool[cat])
                return make_report(cat, phrase, places, rng), "report", cat, urg
            fill(bucket, n, make)
    for intent in INTENT_PHRASES:
        core = CORE.get(intent, [])
        bare = [p for p in int_tr[intent] if "{" not in p and p not in core]
        rng.shuffle(bare)
        for phrase in core + bare[:max(0, BARE_MAX - len(core))]:
            emit(train, Example().add(phrase), intent)
        for bucket, pool, places, cats, n in ((train, int_tr, places_tr, cat_tr, n_intent_train),
                                                (held, int_ho, places_ho, cat_ho, n_intent_held)):
            def make(pool=pool, places=places, cats=cats, intent=intent):
                ex, category, urg = make_intent(intent, rng.choice(pool[intent]), places, cats, rng)
                return ex, intent, category, urg
            fill(bucket, n, make)
    return train, held, (streets_tr, comps_tr, lands_tr)


def yaml_quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def write_rasa(train: list[dict], vocab) -> list[Path]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for old in DATA_DIR.glob("gen_*.yml"):
        old.unlink()
    blocks: dict[tuple, list[str]] = defaultdict(list)
    for r in train:
        blocks[(r["intent"], r["category"], r["urgent"])].append(r["ex"].annotated())
    files: dict[str, list[str]] = defaultdict(list)
    for (intent, category, urgent), texts in sorted(blocks.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        lines = [f"- intent: {intent}"]
        if category:
            lines += ["  metadata:", f"    category: {category}", f"    urgent: {'true' if urgent else 'false'}"]
        lines.append("  examples: |")
        lines += [f"    - {t}" for t in texts]
        files["gen_report.yml" if intent == "report" else "gen_intents.yml"].append("\n".join(lines))
    written = []
    header = ("# GENERATED by `python -m nlu.gen_training` — edit the templates there, not this file.\n"
              'version: "3.1"\nnlu:\n')
    for name, chunks in files.items():
        p = DATA_DIR / name
        p.write_text(header + "\n\n".join(chunks) + "\n", encoding="utf-8")
        written.append(p)
    # regexes + synonyms + lookup tables (train-side vocabulary only)
    streets, comps, lands = vocab
    LOOKUP_DIR.mkdir(parents=True, exist_ok=True)
    lk = LOOKUP_DIR / "gen_places.yml"
    lk.write_text(header + "\n".join(
        [f"- lookup: {name}\n  examples: |\n" + "\n".join(f"    - {w}" for w in sorted(words))
         for name, words in (("street_name", streets), ("compound_name", comps), ("landmark_name", lands))]) + "\n",
        encoding="utf-8")
    written.append(lk)
    DICT_DIR.mkdir(parents=True, exist_ok=True)
    words = {w: 2000 for w in list(streets) + list(comps) + list(lands)}
    for w in GRID_WORDS:
        words.setdefault(w, 1000)
    for w, f in DICT_TUNING.items():
        words[w] = f
    d = DICT_DIR / "grid.txt"
    d.write_text("".join(f"{w} {f}\n" for w, f in words.items()), encoding="utf-8")
    written.append(d)
    return written


# Grid vocabulary for the jieba user dictionary (beyond place names).
GRID_WORDS = """网格员 网格 工单 化粪池 沙井盖 井盖 下水道 水浸 占道经营 走鬼 走鬼档 乱摆卖 摆卖 违停 违章停车 僵尸车
泥头车 消防通道 飞线充电 违建 违章建筑 铁皮房 扬尘 油烟 地沟油 低保 临时救助 高龄津贴 欠薪 讨薪 社保 噪音
广场舞 唱K 物业 物业费 管理处 门禁 燃气 煤气 液化气 燃气管 瓶装气 高空抛物 路灯 路灯杆 路灯柱 盲道 减速带 护栏
人行道 斑马线 楼道 楼下 门口 旁边 附近 对面 后面 路口 交叉口 交界处 十字路口 出口 单元 号楼 步行街 地铁站
唔该 唔该晒 冇 啲 嘅 喺 咗 嚟 佢 点解 搞掂 嗰度 隔离 隔篱屋 琴晚 今朝 噚日 下昼 近排 出粮 老细 走佬 嘈交
催单 撤单 关单 差评 好评 进度 派单""".split()
# Frequencies that keep jieba from gluing a house number to the next word (号楼下 → 号 / 楼下).
DICT_TUNING = {"楼下": 80000, "门口": 80000, "旁边": 60000, "附近": 60000, "对面": 40000, "号楼": 3, "栋楼": 3,
               "后面": 40000, "前面": 40000, "里面": 40000}


def write_heldout(held: list[dict]) -> Path:
    HELDOUT_CSV.parent.mkdir(parents=True, exist_ok=True)
    with HELDOUT_CSV.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "intent", "category", "urgent", "entities"])
        for r in held:
            w.writerow([r["ex"].plain(), r["intent"], r["category"] or "",
                        "" if r["category"] is None else str(bool(r["urgent"])).lower(),
                        json.dumps(r["ex"].entities(), ensure_ascii=False)])
    return HELDOUT_CSV


HANDWRITTEN_TXT = HERE / "training_data" / "handwritten.txt"
HANDWRITTEN_CSV = HERE / "training_data" / "handwritten.csv"
_MARK = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def write_handwritten() -> Path | None:
    """handwritten.txt (intent|category|urgent|text with [span](entity)) → handwritten.csv."""
    if not HANDWRITTEN_TXT.exists():
        return None
    with HANDWRITTEN_CSV.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "intent", "category", "urgent", "entities"])
        for line in HANDWRITTEN_TXT.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            intent, category, urgent, marked = line.split("|", 3)
            ex = Example()
            pos = 0
            for m in _MARK.finditer(marked):
                ex.add(marked[pos:m.start()]).add(m.group(1), m.group(2))
                pos = m.end()
            ex.add(marked[pos:])
            w.writerow([ex.plain(), intent, category, urgent, json.dumps(ex.entities(), ensure_ascii=False)])
    return HANDWRITTEN_CSV


def main() -> None:
    train, held, vocab = generate()
    files = write_rasa(train, vocab)
    files.append(write_heldout(held))
    hw = write_handwritten()
    if hw:
        files.append(hw)
    for p in files:
        print(p.relative_to(HERE.parent))
    print(f"train {len(train)} examples, held-out {len(held)}")
    from nlu import people_corpus  # the hand-written corpus lives beside the templates: keep people.yml current
    if people_corpus.main([]) != 0:
        raise SystemExit("people corpus invalid: see python -m nlu.people_corpus --check")


if __name__ == "__main__":
    main()
